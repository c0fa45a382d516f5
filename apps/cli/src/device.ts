import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, ExitCode } from './errors.js';
import { makeDir } from './make-dir.js';

/** This machine as agentlogs records it. */
export interface Device {
  /**
   * Stable anonymous id: a hash of the hostname and the user name (what identifies a machine to the tools
   * that write transcripts) plus a random salt stored locally, so two identically named hosts never collide
   * and the id reveals neither name. Formatted as a UUID (version 8).
   */
  deviceId: string;
  /** Human name: `AGENTLOGS_MACHINE_NAME`, else the profile's `machine.name`, else the hostname. */
  name: string;
  hostname: string;
  platform: string;
}

interface DeviceFile {
  salt: string;
}

/** The device file lives in the data directory (not per profile): one machine, one id. */
export function deviceFile(home: string): string {
  return path.join(home, 'device.json');
}

function readSalt(home: string): string {
  const file = deviceFile(home);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    try {
      const parsed = JSON.parse(text) as Partial<DeviceFile>;
      if (typeof parsed.salt === 'string' && /^[0-9a-f]{32,}$/.test(parsed.salt)) return parsed.salt;
    } catch {
      // reported below
    }
    throw new CliError(`the file ${file} is corrupt`, {
      exitCode: ExitCode.config,
      hint: 'restore it from a backup to keep this machine id, or delete it to get a new one (records already written keep the old id)',
    });
  }
  const salt = randomBytes(16).toString('hex');
  makeDir(home);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ salt } satisfies DeviceFile)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return salt;
}

function deviceIdFrom(hostname: string, username: string, salt: string): string {
  const hash = createHash('sha256').update(`${hostname}\0${username}\0${salt}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? '';
  }
}

/**
 * This machine's device id and name. Creates the salt on first use. `configuredName` is the profile's
 * `machine.name` setting (the environment variable still wins).
 */
export function loadDevice(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
  configuredName?: string,
): Device {
  const hostname = os.hostname();
  const salt = readSalt(home);
  const name = env.AGENTLOGS_MACHINE_NAME?.trim() || configuredName?.trim() || hostname;
  return { deviceId: deviceIdFrom(hostname, userName(), salt), name, hostname, platform: process.platform };
}
