/** The benchmark's outputs: a markdown report and an SVG chart (accuracy against forward passes). */
import type { CachedLatency } from './prefix-by-length.js';
import type { BenchResult } from './result.js';
import { fmt, quantile } from './stats.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The prefix-cache target of issue 7: this many times lower latency for long prompts. */
const PREFIX_TARGET = 1.5;

/** Issue 7's prefix-cache target, split by prompt length: one row per strategy and bucket, empty buckets said to be empty. */
function prefixSection(r: BenchResult): string[] {
  const buckets = r.prefixByLength;
  if (!buckets?.length) return [];
  const threshold = buckets[0]!.threshold;
  const lines: string[] = ['## Prefix cache by prompt length', ''];
  const tokens = r.eval.promptTokens ?? [];
  const long = tokens.filter((t) => t >= threshold).length;
  if (tokens.length) {
    lines.push(
      `Prompt lengths (tokens, media placeholders expanded to their rows): min ${Math.min(...tokens)}, p50 ${quantile(tokens, 0.5)}, max ${Math.max(...tokens)}; ${long} of ${tokens.length} prompts have ${threshold} or more.`,
      '',
    );
  }
  lines.push(
    `| strategy | prompt tokens | prompts | p50 ms none | p50 ms prefix | p50 ms dual | none ÷ prefix | none ÷ dual | same answers prefix | same answers dual |`,
  );
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const cell = (c: CachedLatency | undefined, key: 'p50Ms' | 'speedup' | 'sameAnswers') =>
    c === undefined
      ? '—'
      : key === 'sameAnswers'
        ? pct(c.sameAnswers)
        : key === 'speedup'
          ? `${fmt(c.speedup)}×`
          : fmt(c.p50Ms);
  for (const b of buckets) {
    const range = b.bucket === 'long' ? `≥ ${b.threshold}` : `< ${b.threshold}`;
    if (b.prompts === 0 || b.noneP50Ms === undefined) {
      lines.push(`| ${b.strategy} | ${range} | 0 | none in this sample | — | — | — | — | — | — |`);
      continue;
    }
    lines.push(
      `| ${b.strategy} | ${range} | ${b.prompts} | ${fmt(b.noneP50Ms)} | ${cell(b.prefix, 'p50Ms')} | ${cell(b.dual, 'p50Ms')} | ${cell(b.prefix, 'speedup')} | ${cell(b.dual, 'speedup')} | ${cell(b.prefix, 'sameAnswers')} | ${cell(b.dual, 'sameAnswers')} |`,
    );
  }
  lines.push('');
  const longRows = buckets.filter((b) => b.bucket === 'long' && b.prompts > 0 && b.prefix);
  if (longRows.length === 0) {
    lines.push(
      `Target (≥ ${PREFIX_TARGET}× lower latency for prompts of ${threshold} tokens or more): not measurable in this run, the sample has no prompt of ${threshold} tokens or more.`,
      '',
    );
  } else {
    const speedups = longRows.map((b) => b.prefix!.speedup);
    const met = speedups.filter((x) => x >= PREFIX_TARGET).length;
    lines.push(
      `Target (≥ ${PREFIX_TARGET}× lower latency with the prefix cache for prompts of ${threshold} tokens or more): none ÷ prefix at p50 is ${fmt(Math.min(...speedups))}×–${fmt(Math.max(...speedups))}× over the strategies, met by ${met} of ${longRows.length}. The buckets split the grid's requests; the ratios compare configurations run at different moments, so read them with the load line above.`,
      '',
    );
  }
  return lines;
}

export function markdownReport(r: BenchResult): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(`# unmask benchmark: ${r.model.name}`, '');
  lines.push(
    `Model: \`${r.model.dir}\` (${r.model.description ?? 'no description'}). Eval: ${r.eval.source}, ${r.eval.count} requests per configuration (${r.eval.withImage} with an image, ${r.eval.withAudio} with audio; prompts ${fmt(r.eval.meanPromptTokens)} tokens on average), canvas ${r.canvas} positions${r.blockLength ? ` in blocks of ${r.blockLength}` : ' (one block)'}, greedy.`,
  );
  lines.push(
    `Machine: ${m.cpuModel}, ${m.logicalCpus} logical CPUs, ${m.memoryGiB} GiB; ${m.platform}; Node ${m.node}; onnxruntime-node ${m.onnxruntimeNode}; ${r.threads} intra-op thread(s); torch ${r.peer?.torch ?? 'n/a'}.`,
  );
  lines.push(
    `Load average (1/5/15 min) at start ${m.loadAtStart.join(' / ')}, at end ${m.loadAtEnd?.join(' / ') ?? '?'}; busy processes at start: ${m.busyProcesses.join('; ') || 'none'}.`,
  );
  lines.push(`Started ${m.startedAt}, took ${fmt(r.seconds)} s.${r.quick ? ' Quick mode.' : ''}`, '');
  if (r.notes.length) {
    lines.push(...r.notes.map((n) => `> ${n}`), '');
  }

  lines.push('## Strategies × caches', '');
  lines.push(
    '| strategy | cache | accuracy | passes/answer | tokens/pass | p50 ms | p95 ms | req/s | ms/pass | × floor | same as no cache |',
  );
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of r.grid) {
    lines.push(
      `| ${c.strategy} | ${c.cache} | ${pct(c.accuracy)} | ${fmt(c.forwardPassesPerAnswer)} | ${fmt(c.tokensPerPass)} | ${fmt(c.latencyP50Ms)} | ${fmt(c.latencyP95Ms)} | ${fmt(c.requestsPerSecond)} | ${fmt(c.passMs)} | ${fmt(c.floorMultiple)} | ${c.agreementWithUncached === undefined ? '—' : pct(c.agreementWithUncached)} |`,
    );
  }
  lines.push(
    '',
    'One client, requests one after another (maxBatchSize 1). tokens/pass = canvas positions ÷ forward passes (positions filled by end-of-text prediction count). × floor = a pass\'s time ÷ (its FLOPs ÷ the matmul rate below), averaged over passes. "same as no cache" = answers equal token for token to the same strategy without cache.',
    '',
  );

  lines.push(...prefixSection(r));

  lines.push('## The floor', '');
  const f = r.floor;
  lines.push(
    `LM: L=${f.sizes.num_layers}, H=${f.sizes.hidden_size}, heads ${f.sizes.num_attention_heads}/${f.sizes.num_key_value_heads}, D=${f.sizes.head_dim}, V=${f.sizes.vocab_size}; layer weights W = ${f.layerWeights} multiply-accumulates per position (MLP width I = ${fmt(f.intermediateSize)}).`,
  );
  lines.push(
    `FLOPs of one uncached pass over the mean prompt + canvas (${fmt(f.examplePositions)} positions, ${r.canvas} logits): ${fmt(f.exampleFlops)}.`,
  );
  lines.push(
    `Matrix-multiply rate through onnxruntime (${f.matmul.threads} thread(s), square float32 MatMul): ${f.matmul.bySize.map((s) => `n=${s.n}: ${fmt(s.gflops)} GFLOP/s`).join(', ')}; best ${fmt(f.matmul.flopsPerSecond / 1e9)} GFLOP/s.`,
  );
  lines.push(`So that pass's floor is ${fmt((f.exampleFlops / f.matmul.flopsPerSecond) * 1000)} ms.`, '');

  lines.push('## PyTorch peer', '');
  if (r.peer) {
    const p = r.peer;
    lines.push(
      `The reference loop (tools/train/unmask_train/reference_generate.py, weights: ${p.weights}) and the runtime, both greedy low_confidence with one token per step${r.blockLength ? `, blocks of ${r.blockLength}` : ''}, no cache, ${p.requests} prompts, ${p.threads} thread(s):`,
      '',
    );
    lines.push('| | p50 ms | mean ms |', '| --- | ---: | ---: |');
    lines.push(`| PyTorch reference loop | ${fmt(p.peerP50Ms)} | ${fmt(p.peerMeanMs)} |`);
    lines.push(`| unmask (ONNX runtime) | ${fmt(p.oursP50Ms)} | ${fmt(p.oursMeanMs)} |`);
    lines.push(
      '',
      `Speed-up (peer ÷ unmask): ${fmt(p.speedupP50)}× at p50, ${fmt(p.speedupMean)}× on the mean. Answers equal token for token: ${p.agree}/${p.requests}${p.nearTies ? ` (${p.nearTies} of the prompts meet a decision within 1e-3 of a tie, where float rounding may flip a token)` : ''}.`,
      '',
    );
  } else {
    lines.push(`Skipped: ${r.peerSkipped ?? 'no peer weights'}.`, '');
  }

  lines.push('## Batching', '');
  if (r.batching.length) {
    lines.push(
      '| maxBatchSize | clients | requests | req/s | p50 ms | p95 ms | rows/pass | ms/pass |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const b of r.batching)
      lines.push(
        `| ${b.maxBatchSize} | ${b.clients} | ${b.requests} | ${fmt(b.requestsPerSecond)} | ${fmt(b.latencyP50Ms)} | ${fmt(b.latencyP95Ms)} | ${fmt(b.rowsPerPass)} | ${fmt(b.passMs)} |`,
      );
    const [a, b] = [r.batching.find((x) => x.maxBatchSize > 1), r.batching.find((x) => x.maxBatchSize === 1)];
    if (a && b) {
      lines.push(
        '',
        `Requests per second, maxBatchSize ${a.maxBatchSize} ÷ 1: **${fmt(a.requestsPerSecond / b.requestsPerSecond)}×** (engine directly, strategy ${JSON.stringify(r.batchingStrategy)}, cache none).`,
      );
      lines.push(
        `A pass of ${fmt(a.rowsPerPass)} rows took ${fmt(a.passMs / b.passMs)}× as long as a pass of one row: batching can gain at most ${fmt(a.rowsPerPass / (a.passMs / b.passMs))}× in the forward passes.`,
      );
    }
    const s = r.passScaling;
    if (s) {
      lines.push(
        '',
        `The bound, measured just before: one uncached pass over the sample's median prompt (${s.promptTokens} tokens + the ${r.canvas}-position canvas) took ${fmt(s.oneRowMs)} ms with one row and ${fmt(s.batchMs)} ms with ${s.rows} identical rows, ${fmt(s.perRowMs)} ms per row (p50 of ${s.runs} interleaved runs each). Batching can make the forward passes at most **${fmt(s.bound)}×** as fast on this model and CPU${a && b ? `; the serving run above achieved **${fmt(a.requestsPerSecond / b.requestsPerSecond)}×** the requests per second` : ''}.`,
      );
    }
    lines.push('');
  }

  if (r.sweep) {
    lines.push('## Session settings sweep', '');
    lines.push(
      `Workload: one uncached lm.onnx pass, batch 1, ${r.sweep.positions} positions, ${r.sweep.logits} logits; ${r.sweep.rounds} interleaved rounds.`,
      '',
    );
    lines.push('| setting | runs | p50 ms | p95 ms | p50 vs defaults |', '| --- | ---: | ---: | ---: | ---: |');
    const base = r.sweep.results[0]!.p50Ms;
    for (const s of r.sweep.results)
      lines.push(`| ${s.label} | ${s.runs} | ${fmt(s.p50Ms)} | ${fmt(s.p95Ms)} | ${fmt(s.p50Ms / base)}× |`);
    if (r.sweep.poolSize.length) {
      lines.push(
        '',
        '| pool size | req/s (16 clients, maxBatchSize 8; two runs each, order 1, 2, 2, 1) | p50 ms (mean of the runs) |',
        '| ---: | ---: | ---: |',
      );
      for (const p of r.sweep.poolSize)
        lines.push(`| ${p.poolSize} | ${fmt(p.requestsPerSecond)} | ${fmt(p.latencyP50Ms)} |`);
    }
    lines.push(
      '',
      `Fastest setting in this run: ${r.sweep.fastest}. Recommended from these measurements:`,
      '',
      ...r.sweep.recommendations.map((x) => `- ${x}`),
      '',
    );
  }
  lines.push('![accuracy against forward passes](chart.svg)', '');
  return lines.join('\n');
}

const CACHE_COLOURS: Record<string, string> = { none: '#1f77b4', prefix: '#ff7f0e', dual: '#2ca02c' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round axis step (1, 2 or 5 × 10^k) near `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/** Accuracy (y) against forward passes per answer (x), one point per strategy × cache. */
export function chartSvg(r: BenchResult): string {
  const W = 820;
  const Hh = 440;
  const left = 60;
  const right = 250;
  const top = 40;
  const bottom = 50;
  const xs = r.grid.map((c) => c.forwardPassesPerAnswer);
  const step = niceStep(Math.max(1, ...xs) / 6);
  const xMax = Math.ceil((Math.max(1, ...xs) * 1.02) / step) * step;
  const x = (v: number) => left + (v / xMax) * (W - left - right);
  const y = (v: number) => top + (1 - v) * (Hh - top - bottom);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${Hh}" viewBox="0 0 ${W} ${Hh}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<rect width="${W}" height="${Hh}" fill="white"/>`);
  out.push(
    `<text x="${left}" y="20" font-size="14">${esc(`Accuracy vs forward passes per answer — ${r.model.name}, canvas ${r.canvas}, ${r.eval.count} requests`)}</text>`,
  );
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${(v * 100).toFixed(0)}%</text>`);
  }
  for (let i = 0; i <= Math.round(xMax / step); i++) {
    const v = step * i;
    out.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${y(0)}" y2="${y(0) + 4}" stroke="#333"/>`);
    out.push(`<text x="${x(v)}" y="${y(0) + 16}" text-anchor="middle">${fmt(v, 2)}</text>`);
  }
  out.push(
    `<line x1="${left}" x2="${W - right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/><line x1="${left}" x2="${left}" y1="${y(1)}" y2="${y(0)}" stroke="#333"/>`,
  );
  out.push(`<text x="${(left + W - right) / 2}" y="${Hh - 12}" text-anchor="middle">forward passes per answer</text>`);
  out.push(
    `<text x="16" y="${(top + Hh - bottom) / 2}" transform="rotate(-90 16 ${(top + Hh - bottom) / 2})" text-anchor="middle">accuracy (exact match)</text>`,
  );
  r.grid.forEach((c, i) => {
    const jitter = ((i % 3) - 1) * 2; // keep coincident points visible
    const px = x(c.forwardPassesPerAnswer);
    const py = y(c.accuracy) + jitter;
    out.push(
      `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="4" fill="${CACHE_COLOURS[c.cache] ?? '#888'}" fill-opacity="0.8"><title>${esc(`${c.strategy}, cache ${c.cache}: ${(c.accuracy * 100).toFixed(1)}%, ${fmt(c.forwardPassesPerAnswer)} passes`)}</title></circle>`,
    );
  });
  // Legend: caches, then strategies with their pass counts (uncached).
  let ly = top;
  for (const [cache, colour] of Object.entries(CACHE_COLOURS)) {
    out.push(
      `<circle cx="${W - right + 20}" cy="${ly}" r="4" fill="${colour}"/><text x="${W - right + 30}" y="${ly + 4}">cache ${cache}</text>`,
    );
    ly += 16;
  }
  ly += 8;
  for (const c of r.grid.filter((g) => g.cache === 'none')) {
    out.push(
      `<text x="${W - right + 14}" y="${ly}">${esc(`${c.strategy}: ${fmt(c.forwardPassesPerAnswer)} passes, ${(c.accuracy * 100).toFixed(0)}%`)}</text>`,
    );
    ly += 14;
  }
  out.push('</svg>');
  return out.join('\n');
}
