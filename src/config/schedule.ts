import { Cron } from 'croner';

/*
 * EventBridge Scheduler schedule expressions (Scheduler User Guide, "Schedule types"):
 *   at(yyyy-mm-ddThh:mm:ss)   one time
 *   rate(value unit)          value a positive whole number; unit minute(s) | hour(s) | day(s)
 *   cron(minutes hours day-of-month month day-of-week year)
 * Cron fields: minutes 0-59, hours 0-23, day-of-month 1-31 (also ? L W), month 1-12 or JAN-DEC, day-of-week 1-7
 * (1 = Sunday) or SUN-SAT (also ? L #), year 1970-2199; wildcards , - * /; one of day-of-month and day-of-week must be ?.
 * Checked before any AWS call, so a typo exits 2 naming the field instead of failing mid-deploy.
 */

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const CRON = /^cron\((.*)\)$/;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Extra forms this field allows: '?', 'L', 'W', '#'. */
  extra: string[];
}

const FIELDS: FieldRule[] = [
  { name: 'minutes', min: 0, max: 59, extra: [] },
  { name: 'hours', min: 0, max: 23, extra: [] },
  { name: 'day-of-month', min: 1, max: 31, extra: ['?', 'L', 'W'] },
  { name: 'month', min: 1, max: 12, names: MONTHS, extra: [] },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, extra: ['?', 'L', '#'] },
  { name: 'year', min: 1970, max: 2199, extra: [] },
];

const EXAMPLE = 'use cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 3 * * ? *), or rate(1 hour)';

/** Why an expression is not one EventBridge Scheduler accepts, or undefined. */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const e = expression.trim();
  if (e !== expression) return 'must not start or end with spaces';
  const rate = RATE.exec(e);
  if (rate) {
    const n = Number(rate[1]);
    if (n < 1) return 'a rate must be at least 1';
    // As in EventBridge: 1 takes the singular unit, more the plural.
    if (n === 1 && rate[2]!.endsWith('s')) return `write rate(1 ${rate[2]!.slice(0, -1)}) (singular for 1)`;
    if (n > 1 && !rate[2]!.endsWith('s')) return `write rate(${n} ${rate[2]}s) (plural above 1)`;
    return undefined;
  }
  if (e.startsWith('rate(')) return 'a rate is rate(<whole number> minutes|hours|days), e.g. rate(1 hour) or rate(15 minutes)';
  const at = AT.exec(e);
  if (at)
    return Number.isNaN(Date.parse(`${at.slice(1, 4).join('-')}T${at.slice(4, 7).join(':')}Z`))
      ? 'is not a valid date and time'
      : undefined;
  if (e.startsWith('at(')) return 'a one-time schedule is at(yyyy-mm-ddThh:mm:ss), e.g. at(2027-01-31T03:00:00)';
  const cron = CRON.exec(e);
  if (!cron) return `is not a schedule expression; ${EXAMPLE}`;
  return cronProblem(cron[1]!);
}

function cronProblem(body: string): string | undefined {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6)
    return `a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), this has ${parts.length}; ${EXAMPLE}`;
  for (let i = 0; i < 6; i++) {
    const problem = fieldProblem(parts[i]!, FIELDS[i]!);
    if (problem) return problem;
  }
  const [, , dom, , dow] = parts;
  if ((dom === '?') === (dow === '?'))
    return 'exactly one of day-of-month (3rd field) and day-of-week (5th field) must be ?, e.g. cron(0 3 * * ? *) or cron(0 3 ? * MON-FRI *)';
  return undefined;
}

function fieldProblem(value: string, f: FieldRule): string | undefined {
  const bad = `the ${f.name} field "${value}" is not valid (${f.min}-${f.max}${f.names ? ` or ${f.names[0]}-${f.names.at(-1)}` : ''}, with , - * /${f.extra.length ? ` ${f.extra.join(' ')}` : ''})`;
  if (value === '?' || value === '*') return value === '?' && !f.extra.includes('?') ? bad : undefined;
  for (const item of value.split(',')) {
    if (!itemOk(item, f)) return bad;
  }
  return undefined;
}

function itemOk(item: string, f: FieldRule): boolean {
  const num = (s: string) => {
    const upper = s.toUpperCase();
    const named = f.names?.indexOf(upper) ?? -1;
    const n = named >= 0 ? named + f.min : /^\d+$/.test(s) ? Number(s) : Number.NaN;
    return n >= f.min && n <= f.max;
  };
  if (f.extra.includes('L') && (item === 'L' || (f.name === 'day-of-week' && /^\w+L$/.test(item) && num(item.slice(0, -1))))) return true;
  if (f.extra.includes('W') && /^\d+W$/.test(item)) return num(item.slice(0, -1));
  if (f.extra.includes('#') && item.includes('#')) {
    const [day, nth] = item.split('#');
    return num(day ?? '') && /^[1-5]$/.test(nth ?? '');
  }
  const [range, step] = item.split('/');
  if (step !== undefined && !/^\d+$/.test(step)) return false;
  if (range === '*') return step !== undefined;
  const [from, to] = (range ?? '').split('-');
  return num(from ?? '') && (to === undefined || num(to));
}

/** Why a time zone is not an IANA name EventBridge Scheduler knows (ScheduleExpressionTimezone), or undefined. */
export function timezoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `"${zone}" is not a time zone; use an IANA name such as UTC, Europe/Berlin or America/New_York`;
  }
}

/**
 * When a schedule next runs after `now`, for `status`. cron: the next matching minute in the time zone; rate: the
 * next multiple of the rate after the schedule's creation (Scheduler counts from then); at: the time itself, if ahead.
 */
export function nextRun(expression: string, o: { timezone?: string; createdAt?: Date; now?: Date } = {}): Date | undefined {
  const now = o.now ?? new Date();
  const rate = RATE.exec(expression);
  if (rate) {
    const unit = rate[2]!.startsWith('minute') ? 60_000 : rate[2]!.startsWith('hour') ? 3_600_000 : 86_400_000;
    const period = Number(rate[1]) * unit;
    const start = o.createdAt?.getTime() ?? now.getTime();
    const k = Math.max(1, Math.ceil((now.getTime() - start) / period));
    return new Date(start + k * period);
  }
  const at = AT.exec(expression);
  if (at) {
    const when = atInZone(at.slice(1, 7).map(Number), o.timezone ?? 'UTC');
    return when > now ? when : undefined;
  }
  const cron = CRON.exec(expression);
  if (!cron) return undefined;
  const [min, hour, dom, month, dow, year] = cron[1]!.trim().split(/\s+/);
  // croner counts days of the week from 0 = Sunday; AWS from 1 = Sunday.
  const shiftedDow = (dow ?? '*').replace(/\d+/g, (d, offset: number, s: string) => (s[offset - 1] === '#' ? d : String(Number(d) - 1)));
  const job = new Cron(`${min} ${hour} ${dom} ${month} ${shiftedDow}`, { timezone: o.timezone ?? 'UTC' });
  // The year field is rare: skip runs in years it excludes (a bounded number of them).
  let from = now;
  for (let i = 0; i < 500; i++) {
    const next = job.nextRun(from);
    if (!next) return undefined;
    if (!year || year === '*' || fieldMatches(year, next.getUTCFullYear())) return next;
    from = next;
  }
  return undefined;
}

function fieldMatches(field: string, value: number): boolean {
  return field.split(',').some((item) => {
    const [range, step] = item.split('/');
    const [from, to] = (range ?? '').split('-').map(Number);
    if (range === '*') return step === undefined || value % Number(step) === 0;
    const lo = from ?? Number.NaN;
    const hi = to ?? (step ? 2199 : lo);
    return value >= lo && value <= hi && (step === undefined || (value - lo) % Number(step) === 0);
  });
}

/** A wall-clock time in a zone as a Date (one correction step is exact except inside a DST change). */
function atInZone([y, mo, d, h, mi, s]: number[], zone: string): Date {
  const guess = Date.UTC(y!, mo! - 1, d, h, mi, s);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(guess));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const shown = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return new Date(guess - (shown - guess));
}
