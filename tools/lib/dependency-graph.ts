import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The package DAG stated in docs/architecture.md: for each workspace package (short name), the workspace
 * packages it may depend on, and the third-party runtime dependencies it may use.
 */
export const ALLOWED_DEPENDENCIES: Readonly<
  Record<string, { workspace: readonly string[]; external: readonly string[] }>
> = {
  dtypes: { workspace: [], external: [] },
  spec: { workspace: ['dtypes'], external: [] },
  kernels: { workspace: ['dtypes', 'spec'], external: [] },
  observers: { workspace: ['dtypes', 'spec', 'kernels'], external: [] },
  ptq: { workspace: ['dtypes', 'spec', 'kernels', 'observers'], external: [] },
  // fast-check is an optional peer used only by the ./testing conformance suite.
  'kernels-wasm': { workspace: ['dtypes', 'spec', 'kernels'], external: ['fast-check'] },
  qat: {
    workspace: ['dtypes', 'spec', 'kernels', 'observers'],
    external: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'],
  },
  gptq: { workspace: ['dtypes', 'spec', 'kernels'], external: [] },
  'io-mlpackage': { workspace: ['dtypes', 'spec'], external: [] },
  'mil-eval': { workspace: ['dtypes', 'spec', 'io-mlpackage'], external: [] },
  cli: {
    workspace: [
      'dtypes',
      'spec',
      'kernels',
      'kernels-wasm',
      'observers',
      'ptq',
      'gptq',
      'qat',
      'io-mlpackage',
      'mil-eval',
    ],
    external: [],
  },
};

/** One broken rule. */
export interface DependencyViolation {
  readonly pkg: string;
  readonly file: string;
  readonly message: string;
}

const SCOPE = '@lowbit/';
const IMPORT_PATTERN =
  /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function listSourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listSourceFiles(full));
    else if (/\.(ts|mts|js|mjs)$/.test(entry)) out.push(full);
  }
  return out;
}

function packageOfSpecifier(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? null);
}

/**
 * Checks every package under `packagesDir` against {@link ALLOWED_DEPENDENCIES}: declared dependencies in
 * package.json, every import in `src/`, unknown packages, and cycles.
 */
export function checkDependencyGraph(
  packagesDir: string,
  allowed: typeof ALLOWED_DEPENDENCIES = ALLOWED_DEPENDENCIES,
): DependencyViolation[] {
  const violations: DependencyViolation[] = [];
  const names = readdirSync(packagesDir).filter((d) => existsSync(join(packagesDir, d, 'package.json')));
  const graph = new Map<string, Set<string>>();
  for (const name of names) {
    const pkgFile = join(packagesDir, name, 'package.json');
    const manifest = JSON.parse(readFileSync(pkgFile, 'utf8')) as {
      name?: string;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    const rules = allowed[name];
    if (!rules) {
      violations.push({
        pkg: name,
        file: pkgFile,
        message: `package "${name}" is not in the DAG; add it to tools/lib/dependency-graph.ts and docs/architecture.md`,
      });
      continue;
    }
    if (manifest.name !== `${SCOPE}${name}`) {
      violations.push({
        pkg: name,
        file: pkgFile,
        message: `name must be "${SCOPE}${name}", found "${manifest.name}"`,
      });
    }
    const edges = new Set<string>();
    graph.set(name, edges);
    const check = (dep: string, file: string, how: string): void => {
      if (dep.startsWith(SCOPE)) {
        const target = dep.slice(SCOPE.length);
        if (target === name) return;
        edges.add(target);
        if (!rules.workspace.includes(target)) {
          violations.push({
            pkg: name,
            file,
            message: `${how} ${dep}, but ${SCOPE}${name} may depend only on ${rules.workspace.map((w) => SCOPE + w).join(', ') || 'nothing'}`,
          });
        }
      } else if (!rules.external.includes(dep)) {
        violations.push({
          pkg: name,
          file,
          message: `${how} third-party package ${dep}, which is not allowed for ${SCOPE}${name} (allowed: ${rules.external.join(', ') || 'none'})`,
        });
      }
    };
    const declared = {
      ...manifest.dependencies,
      ...manifest.peerDependencies,
      ...manifest.optionalDependencies,
    };
    for (const dep of Object.keys(declared)) {
      if (dep === 'vitest' && manifest.peerDependencies?.[dep] !== undefined) continue; // conformance suites
      check(dep, pkgFile, 'package.json declares');
    }
    for (const file of listSourceFiles(join(packagesDir, name, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(IMPORT_PATTERN)) {
        const dep = packageOfSpecifier(match[1] ?? match[2] ?? '');
        if (dep === null || dep === 'vitest') continue;
        const rel = relative(packagesDir, file);
        check(dep, join(packagesDir, rel), 'imports');
        if (dep.startsWith(SCOPE) && dep !== `${SCOPE}${name}` && !(dep in declared)) {
          violations.push({ pkg: name, file, message: `imports ${dep} without declaring it in package.json` });
        }
      }
    }
  }
  // Cycle detection (depth-first search with colours).
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (node: string, path: string[]): void => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(node)), node];
      violations.push({ pkg: node, file: packagesDir, message: `dependency cycle: ${cycle.join(' -> ')}` });
      return;
    }
    state.set(node, 'visiting');
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of graph.keys()) visit(node, []);
  return violations;
}
