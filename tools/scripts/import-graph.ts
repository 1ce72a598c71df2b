// The import graph's rules, checked over the TypeScript sources of libs/ and apps/ (tests
// included). Hand-written rather than dependency-cruiser or madge: the rules are a screenful,
// the scan needs only the import lines, and it adds no dependency to pin for Node 20.
//   1. no circles between files (type-only imports count: they are arrows too);
//   2. no upward arrow inside a lib: its folders form layers, a file imports its own or lower ones;
//   3. a project imports only the @unmask packages its package.json declares, and never an app;
//   4. libs/protocol imports zod and the node-free `@unmask/core/options`, nothing else,
//      and those option modules import zod and each other only;
//   5. apps/api knows nothing of tokenizers or token ids (it maps HTTP to a request and back).
// Run: node --import tsx tools/scripts/import-graph.ts (npm test runs it after the linters).
// Prints each broken rule with the files involved; exits 1 when any is broken.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Layers of each lib, lowest first: path prefixes under the lib's src/ (the longest match wins). */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  'libs/core': [
    'errors.ts',
    'options/',
    'io/',
    'runtime/',
    'model/',
    'tokenizer/',
    'decoding/',
    'bundle/',
    'test-support/',
    'index.ts',
  ],
  'libs/audio': ['wav/', ''],
  'libs/pipeline': ['answer/', '', 'test-support/', 'index.ts'],
  'libs/convert': ['onnx/', 'checkpoint/', 'weights/', 'lm/', 'towers/', 'bundle/', 'families/', ''],
};

interface Project {
  readonly path: string;
  readonly dir: string;
  readonly name: string;
  readonly exports: Readonly<Record<string, unknown>>;
  readonly declared: ReadonlySet<string>;
  readonly isApp: boolean;
}

export interface ImportLine {
  readonly spec: string;
  readonly typeOnly: boolean;
  readonly names: readonly string[];
}

/** What apps/api must not name: tokenizers, templates of token ids, token-id fields. */
const API_FORBIDDEN_IMPORTS =
  /^(TextTokenizer|ChatTemplate|ResponseTemplate|TemplatePart|plainTemplate|templateLength|responseTemplateSchema|AnswerLayout|AnswerText|AnswerTokens|scaffoldFromJsonSchema|responseTemplate|SpecialTokens|ResolvedToken|TokenRef|tokenRefSchema|buildPrompt|BuiltPrompt)$/;
const API_FORBIDDEN_TEXT = [/\.tokenizer\b/, /\b(mask|eos|pad|bos)TokenId\b/, /\btokenIds\b/];
const API_FORBIDDEN_PACKAGES = /^@huggingface\/(tokenizers|jinja)$/;

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'dist') return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The projects: every folder of libs/ and apps/ with a package.json. */
function projects(root: string): Project[] {
  return ['libs', 'apps'].flatMap((group) =>
    (existsSync(join(root, group)) ? readdirSync(join(root, group)) : [])
      .filter((name) => existsSync(join(root, group, name, 'package.json')))
      .map((name) => {
        const dir = join(root, group, name);
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          name: string;
          exports?: Record<string, unknown>;
          dependencies?: Record<string, string>;
          devDependencies?: Record<string, string>;
        };
        return {
          path: `${group}/${name}`,
          dir,
          name: pkg.name,
          exports: pkg.exports ?? {},
          declared: new Set(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })),
          isApp: group === 'apps',
        };
      }),
  );
}

/** Every import/export-from/dynamic import of a file: specifier, imported names, whether type-only. */
export function importsOf(source: string): ImportLine[] {
  const found: ImportLine[] = [];
  const statement = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(statement)) {
    const names = [...(m[3] ?? '').matchAll(/(?:type\s+)?([A-Za-z_$][\w$]*)(?:\s+as\s+[\w$]+)?/g)]
      .map((n) => n[1] as string)
      .filter((n) => n !== 'type' && n !== 'as');
    found.push({ spec: m[4] as string, typeOnly: m[2] !== undefined, names });
  }
  for (const m of source.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g))
    found.push({ spec: m[1] as string, typeOnly: false, names: [] });
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g))
    found.push({ spec: m[1] as string, typeOnly: false, names: [] });
  return found;
}

/** Checks the rules over the repository at `root`; returns the broken ones and the graph's size. */
export function checkImportGraph(root: string): { problems: string[]; files: number; arrows: number } {
  const all = projects(root);
  const byName = new Map(all.map((p) => [p.name, p]));
  const projectOf = (file: string) => all.find((p) => file.startsWith(`${p.dir}/`));
  const problems: string[] = [];
  const graph = new Map<string, Set<string>>(); // file -> files it imports (within the repository)

  const resolveSpec = (file: string, spec: string): string | undefined => {
    if (spec.startsWith('.')) {
      const base = resolve(dirname(file), spec);
      for (const candidate of [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base, `${base}.ts`]) {
        if (existsSync(candidate) && candidate.match(/\.(ts|mts|mjs|js)$/)) return candidate;
      }
      return undefined;
    }
    const m = /^(@unmask\/[^/]+)(\/.*)?$/.exec(spec);
    if (!m) return undefined;
    const target = byName.get(m[1] as string);
    const entry = target?.exports[m[2] ? `.${m[2]}` : '.'];
    return target && typeof entry === 'string' ? join(target.dir, entry) : undefined;
  };

  for (const project of all) {
    const src = join(project.dir, 'src');
    for (const file of sourceFiles(project.dir).filter((f) => !f.includes('/node_modules/'))) {
      const rel = relative(root, file);
      const source = readFileSync(file, 'utf8');
      const edges = new Set<string>();
      for (const { spec, names } of importsOf(source)) {
        const target = resolveSpec(file, spec);
        if (target) edges.add(target);
        // 3. declared @unmask packages only, never an app.
        const pkg = /^(@unmask\/[^/]+)/.exec(spec)?.[1];
        if (pkg && pkg !== project.name) {
          if (!project.declared.has(pkg))
            problems.push(`${rel}: imports ${pkg}, which its package.json does not declare`);
          if (byName.get(pkg)?.isApp) problems.push(`${rel}: imports the app ${pkg}`);
        }
        if (spec.startsWith('.') && target && !file.endsWith('.test.ts')) {
          const other = projectOf(target);
          if (other && other !== project)
            problems.push(`${rel}: reaches into ${other.path} by a relative path (${spec}); import ${other.name}`);
        }
        // 4. libs/protocol: zod and @unmask/core/options only.
        if (project.path === 'libs/protocol' && !spec.startsWith('.') && !spec.startsWith('node:test')) {
          const allowed = spec === 'zod' || spec === '@unmask/core/options' || /^node:(assert|test)/.test(spec);
          const inTest = file.endsWith('.test.ts');
          if (!allowed && !(inTest && /^node:(fs|path|url|module)$/.test(spec)))
            problems.push(`${rel}: libs/protocol may import zod and @unmask/core/options only, not ${spec}`);
        }
        // 5. apps/api: no tokenizers, no token ids.
        if (project.path === 'apps/api' && !file.endsWith('.test.ts')) {
          if (API_FORBIDDEN_PACKAGES.test(spec)) problems.push(`${rel}: apps/api imports ${spec}`);
          for (const name of names) {
            if (spec.startsWith('@unmask/') && API_FORBIDDEN_IMPORTS.test(name))
              problems.push(`${rel}: apps/api imports ${name} from ${spec} (token-level; belongs to libs/pipeline)`);
          }
        }
      }
      if (project.path === 'apps/api' && !file.endsWith('.test.ts')) {
        for (const pattern of API_FORBIDDEN_TEXT) {
          const hit = pattern.exec(source);
          if (hit) problems.push(`${rel}: apps/api uses ${hit[0]} (token-level; belongs to libs/pipeline)`);
        }
      }
      if (project.path === 'libs/core' && file.startsWith(join(src, 'options/'))) {
        for (const { spec } of importsOf(source)) {
          if (spec !== 'zod' && !(spec.startsWith('./') && !spec.includes('/..')))
            problems.push(`${rel}: the node-free options entry imports ${spec} (zod and ./ only)`);
        }
      }
      graph.set(file, edges);
    }
  }

  // 2. layers inside a lib.
  const layerOf = (file: string) => {
    const project = projectOf(file);
    const layers = project && LAYERS[project.path];
    if (!layers) return undefined;
    const inSrc = relative(join(project.dir, 'src'), file);
    if (inSrc.startsWith('..')) return undefined;
    let best: number | undefined;
    layers.forEach((prefix, index) => {
      const matches = prefix.endsWith('/') || prefix === '' ? inSrc.startsWith(prefix) : inSrc === prefix;
      if (matches && (best === undefined || prefix.length >= (layers[best] as string).length)) best = index;
    });
    return best === undefined ? undefined : { project, index: best, name: layers[best] || '(src root)' };
  };
  for (const [file, edges] of graph) {
    if (file.endsWith('.test.ts')) continue;
    const from = layerOf(file);
    if (!from) continue;
    for (const target of edges) {
      const to = layerOf(target);
      if (to && to.project === from.project && to.index > from.index) {
        problems.push(
          `${relative(root, file)}: upward arrow from ${from.name} to ${to.name} (${relative(root, target)}) in ${from.project.path}`,
        );
      }
    }
  }

  // 1. circles (Tarjan's strongly connected components).
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? new Set()).has(v)) circles.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  for (const component of circles)
    problems.push(`import circle: ${component.map((f) => relative(root, f)).join(' → ')}`);

  const arrows = [...graph.values()].reduce((n, e) => n + e.size, 0);
  return { problems, files: graph.size, arrows };
}

function main() {
  const { problems, files, arrows } = checkImportGraph(resolve(fileURLToPath(new URL('../..', import.meta.url))));
  if (problems.length > 0) {
    for (const p of problems) console.error(`✖ ${p}`);
    console.error(`import graph: ${problems.length} problem(s) over ${files} files, ${arrows} arrows`);
    process.exit(1);
  }
  console.log(`import graph: ${files} files, ${arrows} arrows; no circles, no upward arrows, rules kept`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
