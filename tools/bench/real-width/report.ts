/**
 * The real-width benchmark's report: real-width.md (tables side by side) and real-width.svg
 * (achieved GFLOP/s per engine and format against the two floors), from real-width.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineResult, FamilyResult, RealWidthResult } from './result.js';
import { forwardFlops } from './shapes.js';

const gib = (bytes: number | undefined) => (bytes === undefined ? '—' : (bytes / 2 ** 30).toFixed(2));
const sec = (s: number | undefined) => (s === undefined ? '—' : s < 10 ? s.toFixed(3) : s.toFixed(1));
const gflops = (flops: number, seconds: number) => (flops / seconds / 1e9).toFixed(0);
const ratio = (x: number) => `${x.toFixed(2)}×`;

function timing(e: EngineResult, positions: number) {
  return e.forwards.find((f) => f.positions === positions);
}

/** Matching engine of another kind at the same bit width. */
function peer(f: FamilyResult, e: EngineResult, kind: EngineResult['kind']) {
  return f.engines.find((x) => x.kind === kind && x.bits === e.bits && !x.error);
}

/** Share of logit rows whose argmax equals unmask fp32's (the same weights should agree). */
function agreement(f: FamilyResult, e: EngineResult): string {
  const reference = f.engines.find((x) => x.kind === 'unmask' && x.format === 'fp32');
  if (!reference || reference === e) return '—';
  let same = 0;
  let total = 0;
  for (const t of e.forwards) {
    const r = timing(reference, t.positions);
    if (!r) continue;
    t.argmax.forEach((token, i) => {
      total++;
      if (token === r.argmax[i]) same++;
    });
  }
  return total ? `${((100 * same) / total).toFixed(0)}%` : '—';
}

function familySection(r: RealWidthResult, f: FamilyResult): string[] {
  const { positions, logits } = r.options;
  const floorRate = r.floor.bestFp32.rate;
  const cpuRate = r.floor.cpu.fp32;
  const out: string[] = [];
  const s = f.shape;
  out.push(
    `### ${s.model} width (${f.layers} of ${s.fullLayers} layers)`,
    '',
    `Hidden ${s.hidden}, ${s.heads} heads (${s.kvHeads} key/value) of ${s.headDim}, MLP ${s.mlp}, vocabulary ${s.vocab}` +
      `${s.qkvBias ? ', q/k/v biases' : ''}: ${(f.parameters / 1e9).toFixed(2)} B parameters, bf16 checkpoint ${gib(f.checkpoint.bytes)} GiB ` +
      `(written in ${f.checkpoint.seconds.toFixed(0)} s). A forward: ${r.options.threads} threads, one row, positions 0..S−1, ${logits} logit rows at the end; ` +
      `median of the timed runs after one warm-up, the engines' forwards interleaved.`,
    '',
  );
  const header = [
    '| bits | engine | format |',
    ...positions.map((p) => ` S=${p} s |`),
    ...positions.map((p) => ` GFLOP/s S=${p} |`),
    ` × floor S=${positions.includes(256) ? 256 : positions[0]} (GEMM / CPU) |`,
    ' same argmax as unmask fp32 |',
  ].join('');
  out.push(
    header,
    `| ---: | --- | --- |${positions.map(() => ' ---: |').join('')}${positions.map(() => ' ---: |').join('')} ---: | ---: |`,
  );
  const at = positions.includes(256) ? 256 : positions[0]!;
  for (const e of [...f.engines].sort((a, b) => b.bits - a.bits)) {
    if (e.error && e.forwards.length === 0) {
      out.push(`| ${e.bits} | ${e.kind} | ${e.format} | failed: ${e.error.replaceAll('|', '/').slice(0, 200)} |`);
      continue;
    }
    const t = timing(e, at);
    const floorCell = t ? `${ratio(t.median / (t.flops / floorRate))} / ${ratio(t.median / (t.flops / cpuRate))}` : '—';
    out.push(
      `| ${e.bits} | ${e.kind} | ${e.format} |${positions.map((p) => ` ${sec(timing(e, p)?.median)} |`).join('')}` +
        `${positions
          .map((p) => {
            const x = timing(e, p);
            return ` ${x ? gflops(x.flops, x.median) : '—'} |`;
          })
          .join('')} ${floorCell} | ${agreement(f, e)} |`,
    );
  }
  out.push('');
  // unmask against the peers at the same bit width.
  const vs: string[] = [];
  for (const e of f.engines.filter((x) => x.kind === 'unmask' && !x.error)) {
    for (const kind of ['llama.cpp', 'pytorch'] as const) {
      const p = peer(f, e, kind);
      if (!p) continue;
      const cells = positions.map((pos) => {
        const a = timing(e, pos);
        const b = timing(p, pos);
        return a && b ? ` ${ratio(b.median / a.median)} |` : ' — |';
      });
      vs.push(`| unmask ${e.format} vs ${kind} ${p.format} |${cells.join('')}`);
    }
  }
  if (vs.length) {
    out.push(
      `| speed of unmask relative to (peer time ÷ unmask time; > 1: unmask faster) |${positions.map((p) => ` S=${p} |`).join('')}`,
      `| --- |${positions.map(() => ' ---: |').join('')}`,
      ...vs,
      '',
    );
  }
  // Memory.
  out.push(
    '| engine | format | file GiB | load s | RSS after load GiB | steady RSS GiB | peak RSS GiB | steady ÷ file | peak ÷ file | loaded with |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const e of [...f.engines].sort((a, b) => b.bits - a.bits)) {
    const added = (x: number | undefined) =>
      x === undefined || e.baselineRss === undefined ? undefined : x - e.baselineRss;
    const steady = added(e.steadyRss);
    const peak = added(e.peakRss);
    out.push(
      `| ${e.kind} | ${e.format} | ${gib(e.fileBytes)} | ${e.loadSeconds === undefined ? '—' : e.loadSeconds.toFixed(1)} | ${gib(added(e.rssAfterLoad))} | ${gib(steady)} | ${gib(peak)} | ` +
        `${steady === undefined ? '—' : ratio(steady / e.fileBytes)} | ${peak === undefined ? '—' : ratio(peak / e.fileBytes)} | ${e.wave.filter((w) => w !== `${e.kind} ${e.format}`).join(', ') || 'alone'} |`,
    );
  }
  out.push(
    '',
    `RSS figures are the process's resident set minus its resident set before loading (the runtime and libraries: ` +
      `${f.engines
        .filter((e) => e.baselineRss !== undefined)
        .map((e) => `${e.kind} ${gib(e.baselineRss)}`)
        .filter((v, i, a) => a.indexOf(v) === i)
        .join(
          ', ',
        )} GiB). The file is what the engine loads: the bundle folder, the GGUF, or the bf16 checkpoint (PyTorch).`,
    '',
  );
  // Batching.
  const batched = f.engines.filter((e) => e.batching?.length);
  if (batched.length) {
    out.push(
      '| unmask format | positions per row | 1 row s | rows | batch s | rows per second, batch ÷ one row |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const e of batched)
      for (const b of e.batching!)
        out.push(
          `| ${e.format} | ${b.positions} | ${sec(b.oneRowMedian)} | ${b.rows} | ${sec(b.median)} | ${ratio((b.oneRowMedian * b.rows) / b.median)} |`,
        );
    out.push('');
  }
  // Full depth.
  const full = f.engines.filter((e) => timing(e, at) && !e.error);
  if (full.length) {
    const scale = forwardFlops(s, s.fullLayers, at, logits) / forwardFlops(s, f.layers, at, logits);
    out.push(
      `At full depth (${s.fullLayers} layers) a forward of ${at} positions does ${scale.toFixed(1)}× these FLOPs; at the rates measured here: ` +
        full.map((e) => `${e.kind} ${e.format} ${(timing(e, at)!.median * scale).toFixed(0)} s`).join(', ') +
        '.',
      '',
    );
  }
  return out;
}

export function renderMarkdown(r: RealWidthResult): string {
  const m = r.machine;
  const c = r.floor.cpu;
  const out: string[] = [
    '## Real-width benchmark',
    '',
    `Machine: ${c.model} (${c.vendor} family 0x${c.family.toString(16)}), ${c.cores} cores, ${m.memoryGiB} GiB; ${m.platform}; Node ${m.node}; ${r.options.threads} threads for every engine.`,
    `Load: \`${m.uptimeAtStart}\` at the start, \`${m.uptimeAtEnd ?? '?'}\` at the end; busy processes at the start: ${m.busyProcesses.join('; ') || 'none'}. ` +
      'Under load every figure is an upper bound; the engines of one bit width ran interleaved, so their ratios saw the same load.',
    `Started ${m.startedAt}, took ${(r.seconds / 60).toFixed(1)} minutes. Options: ${JSON.stringify(r.options)}.`,
    '',
    ...r.notes.map((n) => `> ${n}`),
    ...(r.notes.length ? [''] : []),
    '### The floor',
    '',
    `From the CPU: ${c.cores} cores × ${c.fmaUnits} FMA units × ${c.vectorBits / 32} float32 lanes (${c.vectorBits}-bit) × 2 FLOPs × ${c.clockMHz.toFixed(0)} MHz (${c.clockSource}) = ` +
      `**${(c.fp32 / 1e9).toFixed(0)} GFLOP/s** float32 (${c.microarchitecture}; the FMA units per core are not reported by lscpu or cpuid, so they come from this table entry)` +
      `${c.int8 ? `; int8 with VNNI 4× that: ${(c.int8 / 1e9).toFixed(0)} GOP/s` : ''}.`,
    '',
    '| library | M × K × N | GFLOP/s |',
    '| --- | --- | ---: |',
    ...r.floor.gemm.map((g) => `| ${g.library} | ${g.shape.join(' × ')} | ${(g.rate / 1e9).toFixed(1)} |`),
    '',
    `Best float32 GEMM of any library here: **${(r.floor.bestFp32.rate / 1e9).toFixed(1)} GFLOP/s** (${r.floor.bestFp32.library}, ${r.floor.bestFp32.shape.join(' × ')}); ` +
      `${r.floor.bestInt8 ? `best int8: ${(r.floor.bestInt8.rate / 1e9).toFixed(1)} GOP/s (${r.floor.bestInt8.library}). ` : ''}` +
      `Python libraries: ${r.floor.pythonVersions}. "× floor" below is a forward's time ÷ (its FLOPs ÷ the best GEMM rate), and ÷ (its FLOPs ÷ the CPU's float32 peak).`,
    '',
  ];
  for (const f of r.families) out.push(...familySection(r, f));
  return `${out.join('\n')}\n`;
}

const COLORS: Record<string, string> = { unmask: '#2b6cb0', 'llama.cpp': '#c05621', pytorch: '#6b46c1' };

/** Achieved GFLOP/s of each engine × format at each length, one panel per family, with both floors. */
export function renderChart(r: RealWidthResult): string {
  const panelWidth = 520;
  const height = 340;
  const top = 40;
  const bottom = 90;
  const left = 60;
  const plot = height - top - bottom;
  const maxRate = Math.max(r.floor.cpu.fp32, r.floor.bestFp32.rate) * 1.1;
  const y = (rate: number) => top + plot - (rate / maxRate) * plot;
  const parts: string[] = [];
  const width = left + r.families.length * (panelWidth + 20);
  r.families.forEach((f, fi) => {
    const x0 = left + fi * (panelWidth + 20);
    const engines = [...f.engines].filter((e) => e.forwards.length).sort((a, b) => b.bits - a.bits);
    const groupWidth = panelWidth / r.options.positions.length;
    const bar = Math.max(3, (groupWidth - 16) / Math.max(1, engines.length));
    parts.push(
      `<text x="${x0 + panelWidth / 2}" y="20" text-anchor="middle" font-weight="bold">${f.shape.model} width, ${f.layers} layers</text>`,
    );
    r.options.positions.forEach((p, pi) => {
      const gx = x0 + pi * groupWidth + 8;
      engines.forEach((e, ei) => {
        const t = e.forwards.find((x) => x.positions === p);
        if (!t) return;
        const rate = t.flops / t.median;
        const opacity = { 32: 1, 16: 0.8, 8: 0.6, 4: 0.4 }[e.bits] ?? 1;
        parts.push(
          `<rect x="${(gx + ei * bar).toFixed(1)}" y="${y(rate).toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${(top + plot - y(rate)).toFixed(1)}" fill="${COLORS[e.kind]}" fill-opacity="${opacity}"><title>${e.kind} ${e.format}, S=${p}: ${(rate / 1e9).toFixed(0)} GFLOP/s (${t.median.toFixed(3)} s)</title></rect>`,
        );
      });
      parts.push(
        `<text x="${gx + (engines.length * bar) / 2}" y="${top + plot + 16}" text-anchor="middle" font-size="12">S = ${p}</text>`,
      );
    });
    for (const [rate, name, dash] of [
      [r.floor.cpu.fp32, 'CPU fp32 peak', '6,3'],
      [r.floor.bestFp32.rate, 'best fp32 GEMM', '2,2'],
    ] as const) {
      parts.push(
        `<line x1="${x0}" x2="${x0 + panelWidth}" y1="${y(rate).toFixed(1)}" y2="${y(rate).toFixed(1)}" stroke="#333" stroke-dasharray="${dash}"/>`,
        `<text x="${x0 + panelWidth - 2}" y="${(y(rate) - 3).toFixed(1)}" text-anchor="end" font-size="11">${name} ${(rate / 1e9).toFixed(0)}</text>`,
      );
    }
  });
  // Axis and legend.
  for (let i = 0; i <= 4; i++) {
    const rate = (maxRate * i) / 4;
    parts.push(
      `<text x="${left - 6}" y="${(y(rate) + 4).toFixed(1)}" text-anchor="end" font-size="11">${(rate / 1e9).toFixed(0)}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${top + plot / 2}" transform="rotate(-90 14 ${top + plot / 2})" text-anchor="middle" font-size="12">achieved GFLOP/s (higher is faster)</text>`,
  );
  const legend = ['unmask', 'llama.cpp', 'pytorch'].map(
    (k, i) =>
      `<rect x="${left + i * 150}" y="${height - 40}" width="12" height="12" fill="${COLORS[k]}"/><text x="${left + i * 150 + 16}" y="${height - 30}" font-size="12">${k}</text>`,
  );
  parts.push(
    ...legend,
    `<text x="${left}" y="${height - 10}" font-size="11">bars in each group: the formats from 32 bits (solid) to 4 bits (faint), in the order of the table</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

export function writeReport(r: RealWidthResult, dir: string): void {
  writeFileSync(join(dir, 'real-width.md'), renderMarkdown(r));
  writeFileSync(join(dir, 'real-width.svg'), renderChart(r));
}
