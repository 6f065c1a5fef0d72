import { run } from './cli';

// `heddle …` (apps/cli/bin/heddle.js in a checkout; `node dist/apps/cli/src/main.js` in the image).
void run(process.argv).then((code) => {
  process.exitCode = code;
  // Nothing should keep the process alive once the command is done; if something does, leave anyway.
  setTimeout(() => process.exit(code), 200).unref();
});
