/**
 * What can be checked of the container image and the Kubernetes manifests without Docker or a
 * cluster: the files parse; every path the Dockerfile copies exists and survives .dockerignore;
 * it copies every workspace's package.json; the port, the probes' paths, the HPA's metric and the
 * commands exist in the real server and the image; the shutdown budget fits the grace period.
 * Building and running the image, and applying the manifests, are untested (docs/deploy.md).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServer, configSchema, configWith, type Server } from '@unmask/api';
import { Unmask } from '@unmask/pipeline';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const K8S = join(ROOT, 'deploy/kubernetes');
const TINY = join(ROOT, 'libs/pipeline/test-fixtures/tiny-multimodal');

// ---- the Dockerfile, as instructions ----
interface Instruction {
  stage: string;
  op: string;
  args: string;
}
function dockerfile(): Instruction[] {
  const text = readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  let stage = '';
  const out: Instruction[] = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Z]+)\s+(.*)$/.exec(line.trim());
    if (!m || line.trim().startsWith('#')) continue;
    const [, op, args] = m as unknown as [string, string, string];
    if (op === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? 'final';
    out.push({ stage, op, args: args.trim() });
  }
  return out;
}

/** .dockerignore as a predicate on repository-relative paths (the patterns this repository uses). */
function dockerIgnored(): (path: string) => boolean {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const regexes = patterns.map((p) => {
    const body = p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '\u0000')
      .replace(/\*/g, '[^/]*')
      .replace(/\u0000/g, '(?:.*/)?');
    return new RegExp(`^${body}(?:/.*)?$`);
  });
  return (path) => regexes.some((r) => r.test(path));
}

function workspacePackageJsons(): string[] {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return root.workspaces
    .flatMap((glob) =>
      glob.endsWith('/*')
        ? readdirSync(join(ROOT, glob.slice(0, -2)), { withFileTypes: true })
            .filter((d) => d.isDirectory())
            .map((d) => `${glob.slice(0, -2)}/${d.name}`)
        : [glob],
    )
    .filter((dir) => existsSync(join(ROOT, dir, 'package.json')))
    .map((dir) => `${dir}/package.json`)
    .sort();
}

// ---- the manifests ----
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field by the assertions below
type Doc = Record<string, any>;
function manifests(): Map<string, Doc> {
  const byKind = new Map<string, Doc>();
  for (const file of readdirSync(K8S).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(K8S, file), 'utf8'))) {
      assert.deepEqual(doc.errors, [], `${file} parses`);
      const value = doc.toJS() as Doc;
      const key = value.kind && value.metadata?.name ? `${value.kind}/${value.metadata.name}` : file;
      byKind.set(key, { ...value, __file: file });
    }
  }
  return byKind;
}
const docs = manifests();
const get = (key: string): Doc => {
  const doc = docs.get(key);
  assert.ok(doc, `${key} is in deploy/kubernetes`);
  return doc;
};
const env = (container: Doc, name: string): string | undefined =>
  (container.env as { name: string; value: string }[] | undefined)?.find((e) => e.name === name)?.value;

let server: Server;
let unmask: Unmask;
before(async () => {
  unmask = await Unmask.load(TINY);
  server = await buildServer({ config: configWith({ LOG_LEVEL: 'silent' }), model: unmask });
  await server.ready;
});
after(async () => {
  await server?.app.close();
  await unmask?.close();
});
const status = async (path: string) => (await server.app.inject({ method: 'GET', url: path })).statusCode;

describe('deploy/docker/Dockerfile (not built here: no Docker engine)', () => {
  const steps = dockerfile();
  const ignored = dockerIgnored();

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const copies = steps.filter((s) => s.op === 'COPY' && !s.args.startsWith('--from'));
    assert.ok(copies.length > 5);
    for (const { args } of copies) {
      const parts = args.split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        assert.ok(existsSync(join(ROOT, src)), `COPY ${src}: exists`);
        assert.ok(!ignored(src), `COPY ${src}: not excluded by .dockerignore`);
      }
    }
    assert.ok(ignored('apps/demo/dist/index.html') && ignored('node_modules/x') && ignored('libs/core/a.test.ts'));
    assert.ok(!ignored('libs/core/src/index.ts') && !ignored('models/default/lm.onnx'));
  });

  it('installs from every workspace’s package.json (a new library would break `npm ci` in the image)', () => {
    const copied = steps
      .filter((s) => s.stage === 'manifests' && s.op === 'COPY')
      .map((s) => s.args.split(/\s+/)[0]!)
      .filter((p) => p.endsWith('/package.json'))
      .sort();
    assert.deepEqual(copied, workspacePackageJsons());
  });

  it('runs as a user other than root, serves the port the manifests use, and checks /readyz', async () => {
    const final = steps.filter((s) => s.stage === 'final');
    assert.match(final.find((s) => s.op === 'USER')?.args ?? 'root', /^(node|[1-9]\d*)$/);
    const exposed = final.find((s) => s.op === 'EXPOSE')?.args;
    assert.match(final.find((s) => s.op === 'ENV')?.args ?? '', new RegExp(`PORT=${exposed}\\b`));
    const api = get('Deployment/unmask-api').spec.template.spec.containers[0];
    assert.equal(String(api.ports[0].containerPort), exposed);
    const health = final.find((s) => s.op === 'HEALTHCHECK')?.args ?? '';
    assert.match(health, /\/readyz/);
    assert.equal(await status('/readyz'), 200);
    const cmd = JSON.parse(final.find((s) => s.op === 'CMD')?.args ?? '[]') as string[];
    assert.ok(existsSync(join(ROOT, cmd.at(-1)!)), `${cmd.at(-1)} exists`);
  });

  it('sets only variables the server reads', () => {
    const known = new Set(Object.keys(configSchema.shape));
    const set = steps
      .filter((s) => s.stage === 'final' && s.op === 'ENV')
      .flatMap((s) => [...s.args.matchAll(/(\w+)=/g)].map((m) => m[1]!));
    for (const name of set.filter((n) => n !== 'NODE_ENV')) assert.ok(known.has(name), `${name} is a server setting`);
  });
});

describe('deploy/kubernetes (not applied here: no cluster)', () => {
  const api = get('Deployment/unmask-api');
  const pod = api.spec.template.spec;
  const container = pod.containers[0];

  it('lists every manifest in kustomization.yaml, and every listed file exists', () => {
    const listed = (get('kustomization.yaml').resources as string[]).sort();
    for (const file of listed) assert.ok(existsSync(join(K8S, file)), file);
    const all = readdirSync(K8S).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && f !== 'prometheus-adapter-rules.yaml',
    );
    assert.deepEqual(listed, all.sort());
  });

  it('selects the pods it means to: Service, PodDisruptionBudget and HPA point at the API Deployment', () => {
    const labels = api.spec.template.metadata.labels;
    assert.deepEqual(api.spec.selector.matchLabels, labels);
    assert.deepEqual(get('Service/unmask-api').spec.selector, labels);
    assert.deepEqual(get('PodDisruptionBudget/unmask-api').spec.selector.matchLabels, labels);
    const target = get('HorizontalPodAutoscaler/unmask-api').spec.scaleTargetRef;
    assert.deepEqual([target.kind, target.name], ['Deployment', api.metadata.name]);
    const portNames = (container.ports as { name: string }[]).map((p) => p.name);
    assert.ok(portNames.includes(get('Service/unmask-api').spec.ports[0].targetPort));
  });

  it('probes paths the server answers: startup and readiness on /readyz, liveness on /healthz', async () => {
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const { path, port } = container[probe].httpGet;
      assert.equal(await status(path), 200, `${probe} ${path}`);
      assert.ok((container.ports as { name: string }[]).some((p) => p.name === port));
    }
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
  });

  it('autoscales on a queue metric the server exports at /metrics, served to the HPA by the adapter rule', async () => {
    const hpa = get('HorizontalPodAutoscaler/unmask-api');
    const metric = hpa.spec.metrics.find((m: Doc) => m.type === 'Pods').pods.metric.name as string;
    const text = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(text, new RegExp(`^# TYPE ${metric} gauge$`, 'm'));
    const rule = get('prometheus-adapter-rules.yaml').rules[0];
    assert.match(metric, new RegExp(rule.name.matches));
    assert.equal(rule.name.as, metric);
    assert.ok(hpa.spec.minReplicas >= 2, 'two replicas at least, so the PDB lets one go');
  });

  it('gives SIGTERM time to finish: preStop + SHUTDOWN_GRACE_MS + DRAIN_TIMEOUT_MS < terminationGracePeriodSeconds', () => {
    const defaults = configWith({}) as Record<string, unknown>;
    const ms = (name: string) => Number(env(container, name) ?? defaults[name] ?? 0);
    const preStop = container.lifecycle.preStop.exec.command as string[];
    assert.equal(preStop[0], 'sleep');
    const budget = Number(preStop[1]) + ms('SHUTDOWN_GRACE_MS') / 1000 + ms('DRAIN_TIMEOUT_MS') / 1000;
    assert.ok(budget < pod.terminationGracePeriodSeconds, `${budget} s < ${pod.terminationGracePeriodSeconds} s`);
    assert.ok(ms('DRAIN_TIMEOUT_MS') > 0);
  });

  it('sets only variables the server reads, requests no more than it limits, and runs as a user other than root', () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const { name } of container.env as { name: string }[]) assert.ok(known.has(name), `${name}`);
    assert.ok(configSchema.safeParse(Object.fromEntries(container.env.map((e: Doc) => [e.name, e.value]))).success);
    const bytes = (q: string) => Number.parseInt(q, 10) * (q.endsWith('Gi') ? 1024 : 1);
    assert.ok(bytes(container.resources.requests.memory) <= bytes(container.resources.limits.memory));
    for (const spec of [pod, get('Deployment/unmask-worker').spec.template.spec]) {
      assert.equal(spec.securityContext.runAsNonRoot, true);
      assert.notEqual(spec.securityContext.runAsUser, 0);
    }
  });

  it('runs the workers with a command the image holds', () => {
    const worker = get('Deployment/unmask-worker').spec.template.spec.containers[0];
    const [node, script, command] = worker.command as string[];
    assert.equal(node, 'node');
    assert.ok(existsSync(join(ROOT, script!)), script);
    assert.ok(
      dockerfile().some(
        (s) =>
          s.stage === 'final' &&
          s.op === 'COPY' &&
          s.args.startsWith(relative(ROOT, join(ROOT, script!)).split('/').slice(0, 2).join('/')),
      ),
      'the image copies apps/cli',
    );
    assert.equal(command, 'worker');
  });
});
