/** The constants of world 2 (smart home) and the project's wordings and confirmations. */
export const ACTIONS = ['activate', 'deactivate', 'increase', 'decrease', 'change_language', 'bring'] as const;
export type Action = (typeof ACTIONS)[number];

export const OBJECTS_BY_ACTION: Readonly<Record<Action, readonly string[]>> = {
  activate: ['lights', 'lamp', 'music', 'heat'],
  deactivate: ['lights', 'lamp', 'music', 'heat'],
  increase: ['heat', 'volume'],
  decrease: ['heat', 'volume'],
  change_language: ['english', 'german', 'korean', 'chinese'],
  bring: ['newspaper', 'juice', 'socks', 'shoes'],
};

export const ROOMS = ['kitchen', 'bedroom', 'washroom'] as const;
export const LOCATIONS = [...ROOMS, 'none'] as const;
export type Location = (typeof LOCATIONS)[number];

/** Only these actions take a room. */
export const ACTIONS_WITH_ROOM: readonly Action[] = ['activate', 'deactivate', 'increase', 'decrease'];

/**
 * A wording template. `{object}` is the object's word, `{location}` the room's word. A part in
 * square brackets is spoken only when a room is named; a template without a bracketed part is
 * only used with location `none`. `objects` restricts a wording to the objects it makes sense for.
 */
export interface Wording {
  template: string;
  objects?: readonly string[];
}

export const WORDINGS: Readonly<Record<Action, readonly Wording[]>> = {
  activate: [
    { template: 'turn on the {object}[ in the {location}]' },
    { template: 'switch on the [{location} ]{object}' },
    { template: '{object} on[ in the {location}]' },
    { template: 'play some music[ in the {location}]', objects: ['music'] },
    { template: 'turn the {object} on[ in the {location}]' },
    { template: 'switch the {object} on[ in the {location}]' },
    { template: 'please turn on the {object}[ in the {location}]' },
    { template: 'can you turn on the [{location} ]{object}' },
    { template: 'start the music[ in the {location}]', objects: ['music'] },
    { template: 'i want the {object} on[ in the {location}]' },
  ],
  deactivate: [
    { template: 'turn off the {object}[ in the {location}]' },
    { template: 'switch the {object} off[ in the {location}]' },
    { template: 'stop the music[ in the {location}]', objects: ['music'] },
    { template: 'switch off the [{location} ]{object}' },
    { template: 'turn the {object} off[ in the {location}]' },
    { template: '{object} off[ in the {location}]' },
    { template: 'please turn off the {object}[ in the {location}]' },
    { template: 'can you switch off the [{location} ]{object}' },
    { template: 'shut off the {object}[ in the {location}]' },
  ],
  increase: [
    { template: 'turn up the {object}[ in the {location}]' },
    { template: 'make it warmer[ in the {location}]', objects: ['heat'] },
    { template: 'increase the {object}[ in the {location}]' },
    { template: 'louder please', objects: ['volume'] },
    { template: 'turn the {object} up[ in the {location}]' },
    { template: 'raise the {object}[ in the {location}]' },
    { template: 'make it louder[ in the {location}]', objects: ['volume'] },
    { template: 'more {object} please' },
    { template: 'i need more heat[ in the {location}]', objects: ['heat'] },
  ],
  decrease: [
    { template: 'turn down the {object}[ in the {location}]' },
    { template: 'make it cooler[ in the {location}]', objects: ['heat'] },
    { template: 'decrease the {object}[ in the {location}]' },
    { template: 'quieter please', objects: ['volume'] },
    { template: 'turn the {object} down[ in the {location}]' },
    { template: 'lower the {object}[ in the {location}]' },
    { template: 'make it quieter[ in the {location}]', objects: ['volume'] },
    { template: 'less {object} please' },
    { template: 'reduce the {object}[ in the {location}]' },
  ],
  change_language: [
    { template: 'switch the language to {object}' },
    { template: 'set the language to {object}' },
    { template: 'change the language to {object}' },
    { template: 'change language to {object}' },
    { template: 'switch to {object}' },
    { template: 'use {object} please' },
    { template: 'i want to use {object}' },
    { template: 'speak {object}' },
    { template: 'set language {object}' },
  ],
  bring: [
    { template: 'bring me my {object}' },
    { template: 'fetch the {object}' },
    { template: 'get me some {object}', objects: ['juice', 'socks', 'shoes'] },
    { template: 'bring me the {object}' },
    { template: 'fetch my {object}' },
    { template: 'i need my {object}' },
    { template: 'can you bring me the {object}' },
    { template: 'get me the {object}' },
    { template: 'go get the {object}' },
  ],
};

/** The `respond to the request` confirmation of each action; the bracketed part only when a room is named. */
export const CONFIRMATIONS: Readonly<Record<Action, string>> = {
  activate: 'ok, turning on the {object}[ in the {location}]',
  deactivate: 'ok, turning off the {object}[ in the {location}]',
  increase: 'ok, turning up the {object}[ in the {location}]',
  decrease: 'ok, turning down the {object}[ in the {location}]',
  change_language: 'ok, switching the language to {object}',
  bring: 'ok, bringing your {object}',
};

/** The prompts of world 2. */
export const HOME_PROMPTS = {
  transcribe: ['transcribe the audio', 'what did the speaker say'],
  intent: ['what is the intent', 'extract the intent as json'],
  respond: ['respond to the request'],
} as const;
