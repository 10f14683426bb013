// The package's version, read at build time: the bundle inlines package.json, so no file path has to hold at run time
// (a chunk in dist/chunks/ and a test running the source sit at different depths).
import packageJson from '../package.json' with { type: 'json' };

export const VERSION: string = packageJson.version;
