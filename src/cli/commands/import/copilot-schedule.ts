import { scheduleExpressionProblem } from '../../../config/schedule.js';

/*
 * A Copilot Scheduled Job's on.schedule as an EventBridge Scheduler expression (ecs-kit's schedule:).
 * Copilot (aws.github.io/copilot-cli/docs/manifest/scheduled-job/, on.schedule) takes @hourly, @daily, @weekly,
 * @monthly, @yearly, "@every <duration>" (a Go duration: 1h30m, 45m), a standard 5-field cron ("0 * * * *", day of
 * week 0-6 from Sunday) or "none". EventBridge Scheduler cron has 6 fields (minutes hours day-of-month month
 * day-of-week year), day of week 1-7 from Sunday, and exactly one of day-of-month and day-of-week is "?"
 * (EventBridge Scheduler User Guide, "Schedule types": cron-based schedules).
 */

const NAMED: Record<string, string> = {
  '@hourly': 'cron(0 * * * ? *)',
  '@daily': 'cron(0 0 * * ? *)',
  '@midnight': 'cron(0 0 * * ? *)',
  '@weekly': 'cron(0 0 ? * SUN *)',
  '@monthly': 'cron(0 0 1 * ? *)',
  '@yearly': 'cron(0 0 1 1 ? *)',
  '@annually': 'cron(0 0 1 1 ? *)',
};

export type Converted = { expression: string } | { problem: string };

/** "@every 1h30m" → rate(90 minutes); whole hours and days use the larger unit. */
function every(duration: string): Converted {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration.trim());
  if (!m || duration.trim() === '') return { problem: `"@every ${duration}" is not a duration such as 30m or 1h30m` };
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (seconds < 60 || seconds % 60 !== 0)
    return { problem: `"@every ${duration}": EventBridge Scheduler rates are whole minutes, at least 1` };
  const minutes = seconds / 60;
  const [n, unit] = minutes % 1440 === 0 ? [minutes / 1440, 'day'] : minutes % 60 === 0 ? [minutes / 60, 'hour'] : [minutes, 'minute'];
  return { expression: `rate(${n} ${unit}${n === 1 ? '' : 's'})` };
}

/** A standard cron "m h dom mon dow" → cron(m h dom mon dow *), day of week renumbered from 0-6 to 1-7. */
function cron(fields: string[]): Converted {
  const [min, hour, month] = [fields[0]!, fields[1]!, fields[3]!];
  let [dom, dow] = [fields[2]!, fields[4]!];
  if (dow.includes('/')) return { problem: `day-of-week step "${dow}" has no EventBridge equivalent; rewrite the schedule by hand` };
  dow = dow.replace(/\d+/g, (n) => String((Number(n) % 7) + 1));
  if (dow === '*') dow = '?';
  else if (dom === '*') dom = '?';
  else return { problem: 'it sets both day of month and day of week; EventBridge Scheduler takes one of them' };
  return { expression: `cron(${min} ${hour} ${dom} ${month} ${dow} *)` };
}

export function copilotSchedule(schedule: string): Converted {
  const s = schedule.trim();
  if (s === 'none') return { problem: '"none": Copilot does not run it on a schedule; ecs-kit has no unscheduled job' };
  const named = NAMED[s];
  const out = named ? { expression: named } : s.startsWith('@every ') ? every(s.slice(7)) : undefined;
  const converted = out ?? (s.split(/\s+/).length === 5 ? cron(s.split(/\s+/)) : { problem: `"${s}" is not a schedule Copilot documents` });
  if ('problem' in converted) return converted;
  const problem = scheduleExpressionProblem(converted.expression);
  return problem ? { problem: `${converted.expression}: ${problem}` } : converted;
}
