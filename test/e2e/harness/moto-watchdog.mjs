#!/usr/bin/env node
// Kills a moto_server process group when the process that started it is gone, however it went (Ctrl-C on `npm test`,
// a killed vitest worker, a crash): moto runs in its own process group (so its python child can be stopped with it),
// which also means a terminal's Ctrl-C never reaches it. Usage: node moto-watchdog.mjs <owner pid> <moto group pid>.
// It runs detached in its own group too, checks every 300 ms, and exits once the group is gone.
const [owner, group] = process.argv.slice(2).map(Number);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
};
const kill = (sig) => {
  try {
    process.kill(-group, sig);
  } catch {
    // already gone
  }
};
if (!owner || !group) process.exit(2);
const timer = setInterval(() => {
  if (!alive(-group)) process.exit(0);
  if (alive(owner)) return;
  clearInterval(timer);
  kill('SIGTERM');
  setTimeout(() => {
    if (alive(-group)) kill('SIGKILL');
    process.exit(0);
  }, 3_000);
}, 300);
