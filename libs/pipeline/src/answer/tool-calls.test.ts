import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnmaskError, matchesConstraint } from '@unmask/core';
import { planToolCall, ToolAnswerText, type ToolFunction } from './tool-calls.js';

const WEATHER: ToolFunction = {
  name: 'weather',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
};
const CLOCK: ToolFunction = {
  name: 'clock',
  parameters: {
    type: 'object',
    properties: { zone: { type: 'integer' } },
    required: ['zone'],
    additionalProperties: false,
  },
};
const QWEN = { format: 'json', prefix: '<tool_call>\n', suffix: '\n</tool_call>', auto: true } as const;
const ARGUMENTS = { format: 'arguments', prefix: '', suffix: '', auto: false } as const;

/** Feeds `text` to a reader a few characters at a time, as a stream's committed prefix grows. */
function stream(reader: ToolAnswerText, text: string, by = 3) {
  let content = '';
  let name: string | undefined;
  let args = '';
  for (let n = 0; n <= text.length; n += by) {
    const d = reader.advance(text.slice(0, n));
    content += d.content;
    if (d.call?.name !== undefined) {
      assert.equal(name, undefined, 'the name is sent once');
      name = d.call.name;
    }
    if (d.call) args += d.call.arguments;
  }
  return { content, name, args, final: reader.finish(text) };
}

describe('tool calls: the constraint', () => {
  it('json format: the name is one of the offered (or the named) functions, the arguments its schema', () => {
    const plan = planToolCall({ functions: [WEATHER, CLOCK], choice: 'required' }, QWEN);
    const ok = (t: string) => matchesConstraint(plan.spec, t);
    assert.ok(ok('<tool_call>\n{"name": "clock", "arguments": {"zone": 2}}\n</tool_call>'));
    assert.ok(!ok('<tool_call>\n{"name": "clock", "arguments": {"city": "Oslo"}}\n</tool_call>'));
    assert.ok(!ok('It is noon.'), 'required: no text');
    const named = planToolCall({ functions: [WEATHER, CLOCK], choice: { name: 'weather' } }, QWEN);
    assert.ok(!matchesConstraint(named.spec, '<tool_call>\n{"name": "clock", "arguments": {"zone": 2}}\n</tool_call>'));
    const auto = planToolCall({ functions: [WEATHER], choice: 'auto' }, QWEN);
    assert.ok(matchesConstraint(auto.spec, 'It is noon.'), 'auto: text too');
  });

  it('arguments format: any of the schemas; auto is refused as unsupported', () => {
    const plan = planToolCall({ functions: [WEATHER, CLOCK], choice: 'required' }, ARGUMENTS);
    assert.ok(matchesConstraint(plan.spec, '{"zone": 3}'));
    assert.ok(matchesConstraint(plan.spec, '{"city": "Rome"}'));
    assert.throws(
      () => planToolCall({ functions: [WEATHER], choice: 'auto' }, ARGUMENTS),
      (e: unknown) => isUnmaskError(e, 'unsupported_parameter') && e.param === 'tools.choice',
    );
  });

  it('refuses what it cannot honour, naming the field', () => {
    const cases: [Parameters<typeof planToolCall>[0], string][] = [
      [{ functions: [], choice: 'required' }, 'tools.functions'],
      [{ functions: [WEATHER, WEATHER], choice: 'required' }, 'tools.functions[1].name'],
      [{ functions: [{ name: 'has space' }], choice: 'required' }, 'tools.functions[0].name'],
      [{ functions: [WEATHER], choice: { name: 'other' } }, 'tools.choice'],
      [
        { functions: [WEATHER, { name: 'x', parameters: { not: {} } }], choice: 'required' },
        'tools.functions[1].parameters',
      ],
      [{ functions: [WEATHER], choice: 'auto' }, 'tools.choice'],
    ];
    for (const [tools, param] of cases)
      assert.throws(
        () => planToolCall(tools),
        (e: unknown) => isUnmaskError(e) && e.param === param,
        param,
      );
  });
});

describe('tool calls: reading the answer as it grows', () => {
  it('json format: the name once known, then arguments that add up to the call’s', () => {
    const plan = planToolCall({ functions: [WEATHER, CLOCK], choice: 'required' }, QWEN);
    const text = '<tool_call>\n{"name": "weather", "arguments": {"city": "São {Paulo}"}}\n</tool_call>';
    const read = stream(new ToolAnswerText(plan, []), text);
    assert.equal(read.content, '');
    assert.equal(read.name, 'weather');
    assert.equal(read.args, '{"city": "São {Paulo}"}');
    assert.deepEqual(read.final, { call: { name: 'weather', arguments: read.args }, text: '', stopped: false });
  });

  it('arguments format: one candidate streams at once; of several, the call is the one whose schema fits, at the end', () => {
    const one = stream(
      new ToolAnswerText(planToolCall({ functions: [WEATHER], choice: 'required' }, ARGUMENTS), []),
      ' {"city": "Oslo"} ',
    );
    assert.equal(one.name, 'weather');
    assert.equal(one.args, '{"city": "Oslo"}');
    const two = planToolCall({ functions: [WEATHER, CLOCK], choice: 'required' }, ARGUMENTS);
    const reader = new ToolAnswerText(two, []);
    assert.equal(reader.advance('{"zone"').call, undefined, 'unknown until the end');
    assert.deepEqual(reader.finish('{"zone": 4}').call, { name: 'clock', arguments: '{"zone": 4}' });
  });

  it('auto: text once it cannot begin a call, cut at a stop sequence; a call once it begins like one', () => {
    const plan = planToolCall({ functions: [WEATHER], choice: 'auto' }, QWEN);
    const reader = new ToolAnswerText(plan, ['.']);
    assert.deepEqual(reader.advance('<tool'), { content: '' }, 'may still become a call');
    const text = stream(new ToolAnswerText(plan, [' rain']), 'It is sunny. No rain today.');
    assert.equal(text.content, 'It is sunny. No');
    assert.deepEqual(text.final, { text: 'It is sunny. No', stopped: true });
    const call = stream(
      new ToolAnswerText(plan, ['.']),
      '<tool_call>\n{"name": "weather", "arguments": {"city": "A.B"}}\n</tool_call>',
    );
    assert.equal(call.content, '');
    assert.equal(call.args, '{"city": "A.B"}', 'stop sequences never cut a call');
  });
});
