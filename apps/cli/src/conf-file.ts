import path from 'node:path';
import Conf from 'conf';
import { tighten } from './make-dir.js';
import { corruptFile } from './settings.js';

/**
 * Opens a `conf` JSON file, turning a corrupt file into a one-line error that says what to do. `conf` applies
 * `fileMode` when it writes; a file that already exists with looser permissions (other users may read it) is
 * tightened to `fileMode` here, before anything is read from it.
 */
export function openConf(file: string, fileMode: number, hint: string): Conf<Record<string, unknown>> {
  tighten(file, fileMode);
  try {
    return new Conf<Record<string, unknown>>({
      cwd: path.dirname(file),
      configName: path.basename(file, '.json'),
      accessPropertiesByDotNotation: false,
      configFileMode: fileMode,
    });
  } catch (error) {
    throw corruptFile(file, error, hint);
  }
}
