import type { RolloutDiagnosis } from '../engine/events.js';

/** A rollout diagnosis as indented text lines, printed under a failed step's "Why:" (the core only gathers the data). */
export function diagnosisLines(d: RolloutDiagnosis): string[] {
  const lines: string[] = [];
  const c = d.counts;
  lines.push(
    `Tasks of ${d.taskDefinition}: ${c.running}/${c.desired} running, ${c.pending} pending, ${Math.max(c.failed, d.stoppedTotal)} stopped.`,
  );
  if (d.stoppedTasks.length) {
    const shown = d.stoppedTasks.length < d.stoppedTotal ? ` (the newest ${d.stoppedTasks.length} of ${d.stoppedTotal})` : '';
    lines.push(`Stopped tasks${shown}:`);
    // Crash-looping tasks usually fail identically: say so instead of repeating the block.
    const firstWith = new Map<string, string>();
    for (const t of d.stoppedTasks) {
      const code = t.stopCode ? `${t.stopCode}: ` : '';
      const head = `  task ${t.taskId} (${t.taskDefinition}) — ${code}${t.stoppedReason ?? t.lastStatus ?? 'stopped'}`;
      const sig = JSON.stringify([t.stopCode, t.stoppedReason, t.containers.map((c) => [c.name, c.exitCode, c.reason, c.logs.at(-1)])]);
      const same = firstWith.get(sig);
      if (same) {
        lines.push(`${head} (same as task ${same})`);
        continue;
      }
      firstWith.set(sig, t.taskId);
      lines.push(head);
      if (t.explanation) lines.push(`    → ${t.explanation}`);
      for (const ct of t.containers) {
        const exit = ct.exitCode !== undefined ? `exit code ${ct.exitCode}` : 'no exit code';
        lines.push(`    container ${ct.name}: ${exit}${ct.reason ? ` — ${ct.reason}` : ''}`);
        if (ct.explanation && ct.explanation !== t.explanation) lines.push(`      → ${ct.explanation}`);
        if (ct.logs.length) {
          lines.push(`      last ${ct.logs.length} log line${ct.logs.length === 1 ? '' : 's'} (${ct.logStream ?? 'log stream'}):`);
          for (const l of ct.logs) lines.push(`        | ${l}`);
        } else if (ct.logsNote) {
          lines.push(`      logs: ${ct.logsNote}${ct.logStream ? ` (${ct.logStream})` : ''}`);
        }
      }
    }
  } else if (d.verdict !== 'rolled-back' || d.rolledBackBy !== 'ecs') {
    lines.push('No stopped tasks of this revision were found.');
  }
  if (d.targets.length) {
    lines.push('Load balancer targets:');
    for (const t of d.targets) {
      const why = [t.reason, t.description].filter(Boolean).join(': ');
      lines.push(`  ${t.id}${t.port ? `:${t.port}` : ''} in ${t.targetGroup}: ${t.state}${why ? ` — ${why}` : ''}`);
      if (t.explanation) lines.push(`    → ${t.explanation}`);
    }
  }
  if (d.events.length) {
    lines.push('Recent service events:');
    for (const e of d.events) lines.push(`  - ${e}`);
  }
  for (const n of d.notes) lines.push(`(${n})`);
  lines.push(`Console: ${d.consoleUrl}`);
  return lines;
}
