/**
 * `agentlogs service install|uninstall|status` with a temporary HOME and XDG_CONFIG_HOME: the files written for
 * systemd and launchd, installing twice, a named profile, removal. systemctl and launchctl are never run here
 * (`--no-start`, and a PATH without them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bin } from './e2e-harness.js';

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function home(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'agentlogs-service-'));
  temps.push(dir);
  return dir;
}

/** A PATH with nothing on it: no systemctl, no launchctl (node itself is started by its full path). */
const EMPTY_PATH = path.join(tmpdir(), 'agentlogs-service-no-such-dir');

function cli(dir: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: {
      PATH: EMPTY_PATH,
      HOME: dir,
      AGENTLOGS_HOME: path.join(dir, 'data'),
      XDG_CONFIG_HOME: path.join(dir, 'xdg'),
      ...env,
    },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('service', () => {
  it('writes a systemd user unit that runs this agentlogs, once', () => {
    const dir = home();
    const unit = path.join(dir, 'xdg', 'systemd', 'user', 'agentlogs-sync.service');
    const first = cli(dir, ['service', 'install', '--platform', 'linux', '--no-start']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Wrote ${unit}`);
    const text = readFileSync(unit, 'utf8');
    expect(text).toContain(`ExecStart=${process.execPath} ${bin} sync --watch\n`);
    expect(text).toContain(`Environment=AGENTLOGS_HOME=${path.join(dir, 'data')}\n`);
    expect(text).toContain('Restart=on-failure\n');
    expect(text).toContain('RestartPreventExitStatus=3 4\n');
    expect(text).toContain('WantedBy=default.target\n');

    const second = cli(dir, ['service', 'install', '--platform', 'linux', '--no-start']);
    expect(second.stdout).toContain(`Unchanged: ${unit}`);
    expect(readFileSync(unit, 'utf8')).toBe(text);

    const status = cli(dir, ['service', 'status', '--platform', 'linux', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({
      platform: 'linux',
      name: 'agentlogs-sync',
      file: unit,
      installed: true,
      current: true,
      manager: null,
      active: null,
    });

    const removed = cli(dir, ['service', 'uninstall', '--platform', 'linux']);
    expect(removed.stdout).toContain(`Removed ${unit}`);
    expect(existsSync(unit)).toBe(false);
    expect(cli(dir, ['service', 'status', '--platform', 'linux']).code).toBe(1);
  });

  it('gives a named profile a service of its own', () => {
    const dir = home();
    const run = cli(dir, ['--profile', 'work', 'service', 'install', '--platform', 'linux', '--no-start']);
    expect(run.code, run.stderr).toBe(0);
    const text = readFileSync(
      path.join(dir, 'xdg', 'systemd', 'user', 'agentlogs-sync-work.service'),
      'utf8',
    );
    expect(text).toContain(`ExecStart=${process.execPath} ${bin} --profile work sync --watch\n`);
    expect(text).toContain('(profile work)');
  });

  it('writes a launchd agent with the program, its PATH and a log file', () => {
    const dir = home();
    const plist = path.join(dir, 'Library', 'LaunchAgents', 'dev.agentlogs.sync.plist');
    const run = cli(dir, ['service', 'install', '--platform', 'macos', '--no-start']);
    expect(run.code, run.stderr).toBe(0);
    const text = readFileSync(plist, 'utf8');
    expect(text).toContain('<key>Label</key><string>dev.agentlogs.sync</string>');
    expect(text).toContain(
      `<array>\n    <string>${process.execPath}</string>\n    <string>${bin}</string>\n    <string>sync</string>\n    <string>--watch</string>\n  </array>`,
    );
    expect(text).toContain(`<key>PATH</key><string>${path.dirname(process.execPath)}:`);
    expect(text).toContain('<key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>');
    expect(text).toContain(`<string>${path.join(dir, 'Library', 'Logs', 'dev.agentlogs.sync.log')}</string>`);
    expect(cli(dir, ['service', 'install', '--platform', 'macos', '--no-start']).stdout).toContain(
      'Unchanged:',
    );
    // Without launchctl the file is written and the command to start it printed.
    const started = cli(dir, ['service', 'install', '--platform', 'macos']);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('launchctl bootstrap gui/$(id -u)');
  });

  it('refuses an unknown platform in one line', () => {
    const run = cli(home(), ['service', 'install', '--platform', 'beos']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--platform must be linux or macos, not "beos"');
  });
});
