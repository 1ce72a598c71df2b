import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesConstraint, type ConstraintSpec } from './token-constraint.js';

const ARGS = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
  additionalProperties: false,
};
const CALL = {
  anyOf: [
    {
      type: 'object',
      properties: { name: { const: 'weather' }, arguments: ARGS },
      required: ['name', 'arguments'],
      additionalProperties: false,
    },
  ],
};

describe('the tool-call language', () => {
  it('without text: only the call, between its prefix and suffix', () => {
    const spec: ConstraintSpec = { type: 'tool_call', schema: CALL, prefix: '<tool_call>', suffix: '</tool_call>' };
    const ok = (text: string) => matchesConstraint(spec, text);
    assert.ok(ok('<tool_call>{"name": "weather", "arguments": {"city": "Paris"}}</tool_call>'));
    assert.ok(!ok('{"name": "weather", "arguments": {"city": "Paris"}}'), 'the prefix is required');
    assert.ok(!ok('<tool_call>{"name": "news", "arguments": {"city": "Paris"}}</tool_call>'), 'an unknown function');
    assert.ok(!ok('<tool_call>{"name": "weather", "arguments": {}}</tool_call>'), 'arguments outside the schema');
    assert.ok(!ok('It is sunny.'), 'no plain text');
  });

  it('with text and a prefix: a call when the answer begins with the prefix, any other text otherwise', () => {
    const spec: ConstraintSpec = { type: 'tool_call', schema: CALL, prefix: '<tool_call>', text: true };
    const ok = (text: string) => matchesConstraint(spec, text);
    assert.ok(ok('<tool_call>{"name": "weather", "arguments": {"city": "Paris"}}'));
    for (const text of ['It is sunny.', '', '<', '<tool', '<b>bold</b>', '<tool_cal!', 'é<tool_call>'])
      assert.ok(ok(text), JSON.stringify(text));
    assert.ok(!ok('<tool_call>not json'), 'beginning like a call commits to one');
    assert.ok(!ok('<tool_call>'), 'the prefix alone is no call');
  });

  it('with text and no prefix: a call when the answer’s first non-space character is {', () => {
    const spec: ConstraintSpec = { type: 'tool_call', schema: ARGS, text: true };
    const ok = (text: string) => matchesConstraint(spec, text);
    assert.ok(ok(' {"city": "Oslo"} '));
    assert.ok(ok('Oslo is cold'));
    assert.ok(ok('  '));
    assert.ok(ok('a {"city": 1'), 'a brace later is text');
    assert.ok(!ok('  {"town": "Oslo"}'), 'a leading brace must be a valid call');
  });
});
