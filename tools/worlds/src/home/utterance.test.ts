import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../rng.js';
import { normaliseText } from '../normalise.js';
import { ACTIONS, WORDINGS } from './spec.js';
import { allUtterances, fillTemplate, intentJson, respondTo, sampleUtterance, wordErrorRate } from './utterance.js';

const SPEC_EXAMPLES: Array<[string, string, string, string]> = [
  ['turn on the lights', 'activate', 'lights', 'none'],
  ['switch on the kitchen lights', 'activate', 'lights', 'kitchen'],
  ['lights on in the bedroom', 'activate', 'lights', 'bedroom'],
  ['play some music', 'activate', 'music', 'none'],
  ['turn the heat on', 'activate', 'heat', 'none'],
  ['turn off the lamp', 'deactivate', 'lamp', 'none'],
  ['switch the lights off in the washroom', 'deactivate', 'lights', 'washroom'],
  ['stop the music', 'deactivate', 'music', 'none'],
  ['turn up the heat', 'increase', 'heat', 'none'],
  ['make it warmer in the kitchen', 'increase', 'heat', 'kitchen'],
  ['increase the volume', 'increase', 'volume', 'none'],
  ['louder please', 'increase', 'volume', 'none'],
  ['turn down the heat', 'decrease', 'heat', 'none'],
  ['make it cooler in the bedroom', 'decrease', 'heat', 'bedroom'],
  ['decrease the volume', 'decrease', 'volume', 'none'],
  ['quieter please', 'decrease', 'volume', 'none'],
  ['switch the language to german', 'change_language', 'german', 'none'],
  ['set the language to korean', 'change_language', 'korean', 'none'],
  ['bring me my shoes', 'bring', 'shoes', 'none'],
  ['fetch the newspaper', 'bring', 'newspaper', 'none'],
  ['get me some juice', 'bring', 'juice', 'none'],
];

describe('smart-home utterances', () => {
  const all = allUtterances();

  it('has at least 8 wordings per action', () => {
    for (const action of ACTIONS) assert.ok(WORDINGS[action].length >= 8, action);
  });

  it('covers every example wording of the spec with its intent', () => {
    for (const [text, action, object, location] of SPEC_EXAMPLES) {
      const found = all.filter((u) => u.text === text);
      assert.ok(found.length > 0, `missing: ${text}`);
      assert.deepEqual(found[0]!.intent, { action, object, location }, text);
    }
  });

  it('never gives one transcript two different intents', () => {
    const seen = new Map<string, string>();
    for (const u of all) {
      const key = JSON.stringify(u.intent);
      assert.equal(seen.get(u.text) ?? key, key, u.text);
      seen.set(u.text, key);
    }
  });

  it('gives rooms only to actions that take one, and uses every object and room', () => {
    for (const u of all) {
      if (u.intent.action === 'change_language' || u.intent.action === 'bring') assert.equal(u.intent.location, 'none');
      assert.equal(u.text, normaliseText(u.text));
    }
    for (const room of ['kitchen', 'bedroom', 'washroom', 'none'])
      assert.ok(all.some((u) => u.intent.location === room));
  });

  it('samples reproducibly from the in-scope set', () => {
    const texts = new Set(all.map((u) => u.text));
    const a = new Rng(11);
    const b = new Rng(11);
    for (let i = 0; i < 500; i++) {
      const u = sampleUtterance(a);
      assert.deepEqual(u, sampleUtterance(b));
      assert.ok(texts.has(u.text));
    }
  });

  it('fills optional room parts only when a room is named', () => {
    assert.equal(
      fillTemplate('switch on the [{location} ]{object}', 'lights', 'kitchen'),
      'switch on the kitchen lights',
    );
    assert.equal(fillTemplate('switch on the [{location} ]{object}', 'lights', 'none'), 'switch on the lights');
  });
});

describe('intent JSON and confirmations', () => {
  it('writes valid JSON with the keys in the order action, object, location', () => {
    const json = intentJson({ action: 'activate', object: 'lights', location: 'kitchen' });
    assert.equal(json, '{"action": "activate", "object": "lights", "location": "kitchen"}');
    assert.deepEqual(Object.keys(JSON.parse(json)), ['action', 'object', 'location']);
  });

  it('confirms a request in the documented words', () => {
    assert.equal(
      respondTo({ action: 'activate', object: 'lights', location: 'kitchen' }),
      'ok, turning on the lights in the kitchen',
    );
    assert.equal(respondTo({ action: 'decrease', object: 'volume', location: 'none' }), 'ok, turning down the volume');
    assert.equal(
      respondTo({ action: 'change_language', object: 'korean', location: 'none' }),
      'ok, switching the language to korean',
    );
    assert.equal(respondTo({ action: 'bring', object: 'socks', location: 'none' }), 'ok, bringing your socks');
  });
});

describe('word error rate', () => {
  it('counts substitutions, insertions and deletions against the reference length', () => {
    assert.equal(wordErrorRate('turn on the lights', 'turn on the lights'), 0);
    assert.equal(wordErrorRate('Turn on the lights.', 'turn on the lights'), 0);
    assert.equal(wordErrorRate('turn off the lights', 'turn on the lights'), 0.25);
    assert.equal(wordErrorRate('turn on lights please', 'turn on the lights'), 0.5);
  });
});
