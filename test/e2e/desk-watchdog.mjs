// Stops the e2e desk when the vitest run that started it is gone without its global
// teardown (Ctrl-C, kill): SIGTERM to `tickdesk up`, then SIGKILL to its process group.
// Plain Node, run detached: node desk-watchdog.mjs <runner pid> <desk pid> <stop timeout ms>
const [runner, desk, stopMs] = process.argv.slice(2).map(Number);

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
};

const timer = setInterval(() => {
  if (!alive(desk)) return clearInterval(timer);
  if (alive(runner)) return;
  clearInterval(timer);
  process.kill(desk, 'SIGTERM');
  const deadline = Date.now() + stopMs;
  const wait = setInterval(() => {
    if (alive(desk) && Date.now() < deadline) return;
    clearInterval(wait);
    try {
      process.kill(-desk, 'SIGKILL');
    } catch {
      // the group is gone
    }
  }, 200);
}, 1_000);
