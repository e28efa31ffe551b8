// Writes `.gz` (gzip level 9) and `.br` (brotli quality 11) beside every compressible file of the
// built bundle, so the daemon can serve precompressed bytes without compressing per request.
// Deterministic: zlib's gzip header carries no file name and a zero mtime, brotli has no header
// fields at all, and files are visited in sorted order, so two builds of one source are identical.
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = process.argv[2];
if (!root) {
  console.error("usage: node scripts/compress.mjs <dist-folder>");
  process.exit(2);
}

const compressible = /\.(html|js|mjs|css|svg|json|txt|map|webmanifest)$/;

function files(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
}

const rows = [];
for (const path of files(root).filter((p) => compressible.test(p))) {
  const raw = readFileSync(path);
  const gz = gzipSync(raw, { level: 9 });
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  writeFileSync(`${path}.gz`, gz);
  writeFileSync(`${path}.br`, br);
  rows.push([relative(root, path), raw.length, gz.length, br.length]);
}

const width = Math.max(...rows.map((r) => r[0].length));
for (const [name, raw, gz, br] of rows) {
  console.log(`${name.padEnd(width)}  ${String(raw).padStart(8)} B  gzip ${String(gz).padStart(7)} B  br ${String(br).padStart(7)} B`);
}
