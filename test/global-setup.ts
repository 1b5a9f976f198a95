// Every temporary file and directory the tests make, and those of the workers, sandboxes and VMs they start, goes
// into one directory of this test run's own (TMPDIR, inherited by every test process and every child), removed when
// the run ends: a run leaves nothing in the system's temporary directory (the tests' scratch directories used to stay,
// ~90 a run). A run killed outright leaves that one directory. Its mode is /tmp's, 1777: under a 0700 parent runsc
// cannot start its sandbox ("cannot read client sync file"), and a run as user nobody must be able to make its files
// there; what the tests make inside it is mkdtemp's, 0700, as before.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const before = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'semconf-test-run-'));
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  };
}
