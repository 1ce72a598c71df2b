/**
 * The entries of a zip archive, read from its central directory (zip64 included), with the
 * absolute byte offset of each stored entry's data. Only what PyTorch's `torch.save` writes is
 * needed: stored (uncompressed), unencrypted entries on one disk. Nothing is decompressed; an
 * entry's data is read in place from the archive by the caller. Hand-written: a zip library
 * would bring inflation and streams for what is here a directory walk to byte offsets.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UnmaskError } from '@unmask/core';

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored; anything else is compressed. */
  readonly method: number;
  readonly size: number;
  readonly compressedSize: number;
  /** Offset of the entry's local file header in the archive. */
  readonly headerOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

function readAt(fd: number, position: number, length: number, what: () => UnmaskError): Buffer {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const read = readSync(fd, buffer, got, length - got, position + got);
    if (read === 0) throw what();
    got += read;
  }
  return buffer;
}

function safeNumber(value: bigint, fail: (why: string) => UnmaskError, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`${what} ${value} is too large`);
  return Number(value);
}

/** An open zip archive: its central directory, read once. */
export class ZipArchive {
  private constructor(
    readonly path: string,
    readonly size: number,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  static open(path: string): ZipArchive {
    const fd = openSync(path, 'r');
    try {
      return ZipArchive.read(path, fd);
    } finally {
      closeSync(fd);
    }
  }

  private static read(path: string, fd: number): ZipArchive {
    const fail = (why: string) => new UnmaskError('invalid_bundle', `${path}: not a valid zip archive: ${why}`, path);
    const size = fstatSync(fd).size;
    if (size < 22) throw fail(`${size} bytes is shorter than a zip's end record`);
    // The end-of-central-directory record is the last 22 bytes, unless a comment (≤ 64 KiB) follows it.
    const tailLength = Math.min(size, 22 + U16_MAX);
    const tail = readAt(fd, size - tailLength, tailLength, () => fail('cannot read its end'));
    let eocd = -1;
    for (let i = tailLength - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE && i + 22 + tail.readUInt16LE(i + 20) === tailLength) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw fail('no end-of-central-directory record (the file is cut short or is not a zip)');
    let count = tail.readUInt16LE(eocd + 10);
    let directorySize = tail.readUInt32LE(eocd + 12);
    let directoryOffset = tail.readUInt32LE(eocd + 16);
    if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0)
      throw fail('archives split over several disks are not read');
    if (count === U16_MAX || directorySize === U32_MAX || directoryOffset === U32_MAX) {
      const locatorAt = size - tailLength + eocd - 20;
      if (locatorAt < 0) throw fail('the zip64 locator is missing');
      const locator = readAt(fd, locatorAt, 20, () => fail('cannot read the zip64 locator'));
      if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) throw fail('the zip64 locator is missing');
      const recordAt = safeNumber(locator.readBigUInt64LE(8), fail, 'zip64 record offset');
      const record = readAt(fd, recordAt, 56, () => fail('the zip64 end record runs past the end of the file'));
      if (record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) throw fail('the zip64 end record has a wrong signature');
      count = safeNumber(record.readBigUInt64LE(32), fail, 'entry count');
      directorySize = safeNumber(record.readBigUInt64LE(40), fail, 'central directory size');
      directoryOffset = safeNumber(record.readBigUInt64LE(48), fail, 'central directory offset');
    }
    if (directoryOffset + directorySize > size)
      throw fail(
        `the central directory (${directorySize} bytes at ${directoryOffset}) runs past the end of the file (${size} bytes)`,
      );
    if (directorySize > 512 * 1024 * 1024)
      throw fail(`a central directory of ${directorySize} bytes is implausibly large`);
    const directory = readAt(fd, directoryOffset, directorySize, () => fail('cannot read the central directory'));
    const entries = new Map<string, ZipEntry>();
    let at = 0;
    for (let n = 0; n < count; n++) {
      if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL_SIGNATURE)
        throw fail(`central directory entry ${n} is malformed`);
      const flags = directory.readUInt16LE(at + 8);
      const method = directory.readUInt16LE(at + 10);
      let compressedSize = directory.readUInt32LE(at + 20);
      let entrySize = directory.readUInt32LE(at + 24);
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      let headerOffset = directory.readUInt32LE(at + 42);
      const end = at + 46 + nameLength + extraLength + commentLength;
      if (end > directory.length) throw fail(`central directory entry ${n} runs past the directory`);
      const name = directory.toString('utf8', at + 46, at + 46 + nameLength);
      if (flags & 1) throw fail(`entry "${name}" is encrypted`);
      // Zip64 extended information: the 64-bit values of exactly the fields saturated above, in order.
      let extra = at + 46 + nameLength;
      const extraEnd = extra + extraLength;
      while (extra + 4 <= extraEnd) {
        const id = directory.readUInt16LE(extra);
        const length = directory.readUInt16LE(extra + 2);
        if (id === 0x0001) {
          let field = extra + 4;
          const next = (what: string): number => {
            if (field + 8 > extra + 4 + length) throw fail(`entry "${name}": its zip64 field lacks the ${what}`);
            const value = safeNumber(directory.readBigUInt64LE(field), fail, `entry "${name}": ${what}`);
            field += 8;
            return value;
          };
          if (entrySize === U32_MAX) entrySize = next('size');
          if (compressedSize === U32_MAX) compressedSize = next('compressed size');
          if (headerOffset === U32_MAX) headerOffset = next('header offset');
        }
        extra += 4 + length;
      }
      if (entries.has(name)) throw fail(`entry "${name}" appears twice`);
      entries.set(name, { name, method, size: entrySize, compressedSize, headerOffset });
      at = end;
    }
    return new ZipArchive(path, size, entries);
  }

  /**
   * The absolute offset of a stored entry's data (after its local header, whose name and extra
   * field lengths may differ from the central directory's), checked to lie inside the file.
   */
  dataOffset(entry: ZipEntry): number {
    const fail = (why: string) =>
      new UnmaskError('invalid_bundle', `${this.path}: zip entry "${entry.name}": ${why}`, this.path);
    if (entry.method !== 0) {
      throw fail(
        `is compressed (method ${entry.method}); the converter reads only stored entries, as torch.save writes them (re-save the checkpoint with torch.save, or as safetensors)`,
      );
    }
    if (entry.compressedSize !== entry.size)
      throw fail(`is stored but its sizes differ (${entry.compressedSize} and ${entry.size})`);
    const fd = openSync(this.path, 'r');
    try {
      const header = readAt(fd, entry.headerOffset, 30, () => fail('its local header runs past the end of the file'));
      if (header.readUInt32LE(0) !== LOCAL_SIGNATURE) throw fail(`no local header at offset ${entry.headerOffset}`);
      const start = entry.headerOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
      if (start + entry.size > this.size)
        throw fail(
          `its ${entry.size} bytes at ${start} run past the end of the file (${this.size} bytes): the file is cut short`,
        );
      return start;
    } finally {
      closeSync(fd);
    }
  }

  /** A small stored entry's whole data. */
  readEntry(entry: ZipEntry, limit: number): Buffer {
    if (entry.size > limit)
      throw new UnmaskError(
        'invalid_bundle',
        `${this.path}: zip entry "${entry.name}" is ${entry.size} bytes, more than the ${limit} expected`,
        this.path,
      );
    const start = this.dataOffset(entry);
    const fd = openSync(this.path, 'r');
    try {
      return readAt(
        fd,
        start,
        entry.size,
        () => new UnmaskError('invalid_bundle', `${this.path}: zip entry "${entry.name}" is cut short`, this.path),
      );
    } finally {
      closeSync(fd);
    }
  }
}
