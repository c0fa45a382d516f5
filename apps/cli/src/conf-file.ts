import path from 'node:path';
import Conf from 'conf';
import { corruptFile } from './settings.js';

/** Opens a `conf` JSON file, turning a corrupt file into a one-line error that says what to do. */
export function openConf(file: string, fileMode: number, hint: string): Conf<Record<string, unknown>> {
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
