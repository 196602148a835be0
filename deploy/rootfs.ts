/**
 * The pieces of an image's root file system, laid out in a directory that image-archive.ts turns into
 * a layer. Every mode is set explicitly: the builder's umask and the source files' own modes must not
 * decide what the image holds, or two machines would build different layers from the same recipe.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The system accounts of a distroless image: root, nobody and nonroot (65532). */
const PASSWD = `root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
`;
const GROUP = `root:x:0:
nobody:x:65534:
nonroot:x:65532:
`;

function directory(path: string, mode = 0o755): void {
  mkdirSync(path, { recursive: true });
  chmodSync(path, mode);
}

/**
 * The directories every container expects: the runtime mounts /proc, /dev and /sys over the empty
 * ones (Bun aborts at start without /proc), and /tmp is writable by any user, sticky, as on a host.
 */
export function addRuntimeDirectories(root: string): void {
  directory(root);
  for (const mountPoint of ["proc", "dev", "sys"]) directory(join(root, mountPoint));
  directory(join(root, "tmp"), 0o1777);
}

/** /etc/passwd and /etc/group, so that user names resolve and the runtime finds each user's home. */
export function addAccounts(root: string): void {
  directory(join(root, "etc"));
  writeFileSync(join(root, "etc", "passwd"), PASSWD, { mode: 0o644 });
  writeFileSync(join(root, "etc", "group"), GROUP, { mode: 0o644 });
  for (const file of ["passwd", "group"]) chmodSync(join(root, "etc", file), 0o644);
}

/**
 * Copies the file `source` (its content: a symbolic link is followed) to `imagePath` in the rootfs.
 * Executable if the source is executable by anyone, readable by all either way.
 */
export function copyIntoRootfs(root: string, source: string, imagePath: string): void {
  const target = join(root, imagePath);
  for (let dir = dirname(imagePath); dir !== "/" && dir !== "."; dir = dirname(dir)) {
    directory(join(root, dir));
  }
  copyFileSync(source, target);
  chmodSync(target, statSync(source).mode & 0o111 ? 0o755 : 0o644);
}

/** Sets a whole tree to 0755 directories and 0644 files, for output copied or written into it as is. */
export function normalizeTreeModes(path: string): void {
  if (!statSync(path).isDirectory()) {
    chmodSync(path, 0o644);
    return;
  }
  chmodSync(path, 0o755);
  for (const entry of readdirSync(path)) normalizeTreeModes(join(path, entry));
}
