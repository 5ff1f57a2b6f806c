// Plain JavaScript, loaded by every bin before anything else: it must run on
// any Node.js, so that an old one gets one clear line instead of a TypeError
// from deep inside a dependency.
const MIN_MAJOR = 22;

/** Exits with code 1 and one line naming the Node.js needed when this one is older. */
export function requireNode(bin) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= MIN_MAJOR) return;
  process.stderr.write(`${bin}: needs Node.js ${MIN_MAJOR} or newer (24 LTS recommended); this is Node.js ${process.versions.node}\n`);
  process.exit(1);
}
