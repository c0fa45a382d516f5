import packageJson from '../package.json' with { type: 'json' };

/** The version of the `agentlogs` package, from its package.json (bundled into dist at build time). */
export const version: string = packageJson.version;
