/**
 * A safe reader for the pickle inside a PyTorch checkpoint (`data.pkl`): a small interpreter of
 * the pickle opcodes a state dict needs, which calls nothing. The only globals it accepts are
 * `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter` and the
 * `torch.*Storage` types; each becomes an inert description (a dict, a tensor reference, a
 * storage reference). Any other global, and any opcode outside the set, is refused by name
 * before anything is built from it. Hand-written: a general unpickler (Python's, or a port)
 * builds whatever the file names, and a checkpoint is untrusted input.
 * The work is bounded by a constant per input byte: the memo and DUP let a few bytes refer to
 * a value of any size again and again, so nothing is walked whose size the pickle chooses (a
 * tensor's size and stride have at most `MAX_TENSOR_DIMS` entries; a storage's location must be
 * a string, never a value made into one).
 */
import { UnmaskError } from '@unmask/core';

/** The storage types `torch.save` names, with the safetensors dtype of their elements. */
export const STORAGE_DTYPES = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
} as const;
export type StorageDtype = (typeof STORAGE_DTYPES)[keyof typeof STORAGE_DTYPES];

/** A storage named by the pickle's persistent id: its data is `<archive>/data/<key>`. */
export interface StorageRef {
  readonly kind: 'storage';
  readonly key: string;
  readonly dtype: StorageDtype;
  /** Elements in the storage. */
  readonly numel: number;
  readonly location: string;
}

/** What `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)` describes. */
export interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly storageOffset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

/** A dict or OrderedDict; `attributes` holds the state BUILD gave it (an OrderedDict's `_metadata`). */
export class PickleDict {
  readonly kind = 'dict';
  readonly items = new Map<unknown, unknown>();
  attributes: unknown = undefined;
}

interface GlobalRef {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}
interface Tuple {
  readonly kind: 'tuple';
  readonly items: readonly unknown[];
}
const _MARK = Symbol('mark');

/** Dimensions of a tensor's size and stride read (a model's weights have a few; NumPy 2 allows 64). */
export const MAX_TENSOR_DIMS = 64;

const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
]);

const isTuple = (v: unknown): v is Tuple => typeof v === 'object' && v !== null && (v as Tuple).kind === 'tuple';
const isGlobal = (v: unknown, name?: string): v is GlobalRef =>
  typeof v === 'object' &&
  v !== null &&
  (v as GlobalRef).kind === 'global' &&
  (name === undefined || `${(v as GlobalRef).module}.${(v as GlobalRef).name}` === name);

/** Parses a state dict pickle; `where` names the file in errors. */
export function readTorchPickle(bytes: Uint8Array, where: string): unknown {
  const fail = (why: string) => new UnmaskError('invalid_bundle', `${where}: ${why}`, where);
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let at = 0;
  const need = (n: number) => {
    if (at + n > data.length)
      throw fail('the pickle ends in the middle of an instruction (the file is cut short or corrupted)');
  };
  const u8 = () => (need(1), data[at++]!);
  const u16 = () => (need(2), (at += 2), data.readUInt16LE(at - 2));
  const i32 = () => (need(4), (at += 4), data.readInt32LE(at - 4));
  const u32 = () => (need(4), (at += 4), data.readUInt32LE(at - 4));
  const u64 = () => {
    need(8);
    const v = data.readBigUInt64LE(at);
    at += 8;
    if (v > BigInt(data.length)) throw fail('a length in the pickle runs past its end');
    return Number(v);
  };
  const text = (n: number) => (need(n), (at += n), data.toString('utf8', at - n, at));
  const line = () => {
    const end = data.indexOf(0x0a, at);
    if (end < 0) throw fail('the pickle ends in the middle of a GLOBAL instruction');
    const value = data.toString('utf8', at, end);
    at = end + 1;
    return value;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!))
      throw fail('the pickle pops from an empty stack (corrupted)');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw fail('the pickle reads an empty stack (corrupted)');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) throw fail('the pickle closes a mark it never opened (corrupted)');
    return stack.splice(mark);
  };
  const tuple = (items: unknown[]): Tuple => ({ kind: 'tuple', items });
  const global = (module: string, name: string): GlobalRef => {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(full)) {
      throw fail(
        `the pickle refers to the global ${full}, which a state dict of tensors does not need; the converter refuses it and executes nothing (only ${[...ALLOWED_GLOBALS].slice(0, 3).join(', ')} and the torch.*Storage types are accepted)`,
      );
    }
    return { kind: 'global', module, name };
  };
  const setItems = (target: unknown, pairs: unknown[]) => {
    if (!(target instanceof PickleDict)) throw fail('the pickle sets items on something that is not a dict');
    if (pairs.length % 2 !== 0) throw fail('the pickle sets a dict item without a value');
    for (let i = 0; i < pairs.length; i += 2) {
      const key = pairs[i];
      if (typeof key !== 'string' && typeof key !== 'number')
        throw fail('a dict key in the pickle is not a string or a number');
      target.items.set(key, pairs[i + 1]);
    }
  };
  const int = (v: unknown, what: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw fail(`${what} is not an integer`);
    return v;
  };
  const ints = (v: unknown, what: string): number[] => {
    if (!isTuple(v)) throw fail(`${what} is not a tuple`);
    // Checked before the items are read: one tuple may be referred to any number of times.
    if (v.items.length > MAX_TENSOR_DIMS)
      throw fail(`${what} has ${v.items.length} dimensions, over the limit of ${MAX_TENSOR_DIMS}`);
    return v.items.map((x) => int(x, what));
  };
  const persistent = (pid: unknown): StorageRef => {
    if (!isTuple(pid) || pid.items.length < 5 || pid.items[0] !== 'storage')
      throw fail('a persistent id is not a ("storage", type, key, location, numel) tuple');
    const [, type, key, location, numel] = pid.items;
    if (!isGlobal(type) || type.module !== 'torch' || !(type.name in STORAGE_DTYPES))
      throw fail('a persistent id names no torch storage type');
    if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(key)) throw fail('a storage key is not a plain name');
    if (typeof location !== 'string')
      throw fail(`storage "${key}"'s location is not a string (torch writes e.g. 'cpu')`);
    return {
      kind: 'storage',
      key,
      dtype: STORAGE_DTYPES[type.name as keyof typeof STORAGE_DTYPES],
      numel: int(numel, `storage "${key}"'s size`),
      location,
    };
  };
  const reduce = (callable: unknown, args: unknown): unknown => {
    if (!isGlobal(callable) || !isTuple(args)) throw fail('the pickle calls something that is not an accepted global');
    const a = args.items;
    switch (`${callable.module}.${callable.name}`) {
      case 'collections.OrderedDict':
        if (a.length !== 0) throw fail('OrderedDict is built with arguments');
        return new PickleDict();
      case 'torch._utils._rebuild_tensor_v2': {
        const storage = a[0] as StorageRef;
        if (a.length < 4 || storage?.kind !== 'storage')
          throw fail('_rebuild_tensor_v2 is not given (storage, offset, size, stride, …)');
        return {
          kind: 'tensor',
          storage,
          storageOffset: int(a[1], 'a storage offset'),
          shape: ints(a[2], 'a tensor size'),
          stride: ints(a[3], 'a tensor stride'),
        } satisfies TensorRef;
      }
      case 'torch._utils._rebuild_parameter':
        if ((a[0] as TensorRef | undefined)?.kind !== 'tensor') throw fail('_rebuild_parameter is not given a tensor');
        return a[0];
      default:
        throw fail(`the pickle calls ${callable.module}.${callable.name}, which builds no part of a state dict`);
    }
  };

  need(2);
  for (;;) {
    const opcode = u8();
    switch (opcode) {
      case 0x80: // PROTO
        if (u8() > 5) throw fail('the pickle protocol is newer than 5');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) throw fail('the pickle stops with a malformed stack (corrupted)');
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(tuple(popMark()));
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const items = Array.from({ length: opcode - 0x84 }, () => pop()).reverse();
        stack.push(tuple(items));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const value = pop();
        const list = top();
        if (!Array.isArray(list)) throw fail('the pickle appends to something that is not a list');
        list.push(value);
        break;
      }
      case 0x65: {
        // APPENDS
        const values = popMark();
        const list = top();
        if (!Array.isArray(list)) throw fail('the pickle appends to something that is not a list');
        // One at a time: spreading a long run into push() overflows the call stack.
        for (const value of values) list.push(value);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict());
        break;
      case 0x64: {
        // DICT
        const dict = new PickleDict();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const pairs = popMark();
        setItems(top(), pairs);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: {
        // LONG1
        const n = u8();
        need(n);
        let value = 0n;
        for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[at + i]!);
        if (n > 0 && data[at + n - 1]! & 0x80) value -= 1n << BigInt(8 * n);
        at += n;
        if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER))
          throw fail('an integer in the pickle is too large');
        stack.push(Number(value));
        break;
      }
      case 0x47: // BINFLOAT
        need(8);
        stack.push(data.readDoubleBE(at));
        at += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(text(u8()));
        break;
      case 0x54: // BINSTRING
        stack.push(text(u32()));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = opcode === 0x68 ? u8() : u32();
        if (!memo.has(index)) throw fail(`the pickle reads memo entry ${index}, which it never stored (corrupted)`);
        stack.push(memo.get(index));
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL is not given two strings');
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        stack.push(reduce(callable, args));
        break;
      }
      case 0x62: {
        // BUILD: only an OrderedDict's instance state (its `_metadata`) is accepted.
        const state = pop();
        const target = top();
        if (!(target instanceof PickleDict)) throw fail('the pickle sets the state of something other than a dict');
        target.attributes = state;
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      default:
        throw fail(
          `the pickle uses opcode 0x${opcode.toString(16).padStart(2, '0')} at byte ${at - 1}, which a state dict does not need; the converter refuses it`,
        );
    }
  }
}
