/** `Manifest.json`: parsing with the checks coremltools' ModelPackage applies, and the nlohmann-style writer. */
import type { Manifest, ManifestItem } from '../ml-package.js';
import { fileError } from './errors.js';

const ITEM_KEYS = ['author', 'description', 'name', 'path'] as const;

/** True when a relative item path stays inside `Data/`. */
export function isSafeRelativePath(p: string): boolean {
  if (p.length === 0 || p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p) || p.includes('\0'))
    return false;
  return p.split(/[\\/]/).every((seg) => seg !== '..');
}

/** Parses and validates manifest text; `label` names the file in errors. */
export function parseManifest(text: string, label: string, fn: string): Manifest {
  const bad = (msg: string) => fileError('MLPACKAGE_INVALID_MANIFEST', fn, label, null, msg);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(e instanceof Error ? e.message : '');
    throw fileError(
      'MLPACKAGE_INVALID_MANIFEST',
      fn,
      label,
      m === null ? null : Number(m[1]),
      `not valid JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('the manifest must be a JSON object');
  const obj = json as Record<string, unknown>;
  const version = obj.fileFormatVersion;
  if (typeof version !== 'string') throw bad('fileFormatVersion must be a string such as "1.0.0"');
  const parts = version.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p))) {
    throw bad(`fileFormatVersion "${version}" is not major.minor.patch with non-negative integers`);
  }
  const [major, minor, patch] = parts.map(Number) as [number, number, number];
  if (major !== 1 || minor > 0 || (minor === 0 && patch > 0)) {
    throw fileError(
      'MLPACKAGE_UNSUPPORTED_VERSION',
      fn,
      label,
      null,
      `fileFormatVersion ${version} is not supported; Core ML packages use 1.0.0`,
    );
  }
  const entries = obj.itemInfoEntries;
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries))
    throw bad('itemInfoEntries must be an object');
  const items: Record<string, ManifestItem> = {};
  for (const [id, raw] of Object.entries(entries as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw bad(`itemInfoEntries["${id}"] must be an object`);
    const item = raw as Record<string, unknown>;
    for (const k of ITEM_KEYS) {
      if (typeof item[k] !== 'string')
        throw bad(
          `itemInfoEntries["${id}"].${k} must be a string (every item needs author, description, name and path)`,
        );
    }
    const path = item.path as string;
    if (!isSafeRelativePath(path))
      throw bad(`itemInfoEntries["${id}"].path "${path}" must be a relative path inside Data/`);
    items[id] = {
      author: item.author as string,
      description: item.description as string,
      name: item.name as string,
      path,
    };
  }
  const root = obj.rootModelIdentifier;
  if (typeof root !== 'string') throw bad('rootModelIdentifier must be a string');
  if (items[root] === undefined) throw bad(`rootModelIdentifier "${root}" is not a key of itemInfoEntries`);
  return { fileFormatVersion: version, itemInfoEntries: items, rootModelIdentifier: root };
}

function sortKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
  return out;
}

/** Serializes as coremltools does: keys sorted, 4-space indentation, final newline. */
export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(sortKeys(manifest), null, 4)}\n`;
}
