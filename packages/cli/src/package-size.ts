import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Total size in bytes of every file under a directory (a package is a directory). */
export async function directorySize(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? await directorySize(full) : (await stat(full)).size;
  }
  return total;
}
