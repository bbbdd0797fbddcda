// Bundles src/editor.js into kitchen/static/kitchen/editor.bundle.js (committed, so `make run`
// needs no Node), or into the file named on the command line (`make test` builds a second copy
// and fails if it differs from the committed one).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

await build({
  entryPoints: [here("src/editor.js")],
  outfile: process.argv[2] ?? here("../kitchen/static/kitchen/editor.bundle.js"),
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  charset: "utf8",
  legalComments: "eof",
  logLevel: "warning",
});
