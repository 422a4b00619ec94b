#!/usr/bin/env node
// Entry point of the installed command. The TypeScript is compiled to dist/ by
// `npm install` (the prepare script) or `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("pvh-conformance: not built yet; run `npm install` or `npm run build` in the package folder\n");
  process.exit(2);
}
// Ctrl-C, a CI job's cancel, `kill`: end through process.exit(), so that the 'exit'
// hooks kill the VMMs still running and remove their temporary folders.
for (const [signal, number] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]]) {
  process.once(signal, () => {
    process.stderr.write(`pvh-conformance: ${signal}: stopping the VMMs still running\n`);
    process.exit(128 + number);
  });
}
// A reader that goes away (`| head`) is not an error: stop quietly, as other tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
