/**
 * A protobuf wire-format writer for the few messages the offline review sends (analyzer requests
 * and google.protobuf.Struct). It writes straight from plain JS values into one growing buffer,
 * where google-protobuf would first build a message object per value (and the review used to
 * build a converted copy before that): for a large stack those intermediate objects were most of
 * the review's time and memory. Output is byte-for-byte what google-protobuf's `serializeBinary`
 * writes (map and Struct keys sorted, oneof members written even when zero); the tests compare.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;

export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private varint(value: number): void {
    this.ensure(10);
    while (value > 0x7f) {
      this.buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.pos++] = value;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  string(field: number, value: string): void {
    this.tag(field, WIRE_BYTES);
    const length = Buffer.byteLength(value, "utf8");
    this.varint(length);
    this.ensure(length);
    this.pos += this.buf.write(value, this.pos, length, "utf8");
  }

  /** A length-delimited field whose body was encoded elsewhere (e.g. a cached message). */
  bytes(field: number, body: Uint8Array): void {
    this.tag(field, WIRE_BYTES);
    this.varint(body.length);
    this.ensure(body.length);
    this.buf.set(body, this.pos);
    this.pos += body.length;
  }

  double(field: number, value: number): void {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  bool(field: number, value: boolean): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value ? 1 : 0);
  }

  enumValue(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  /**
   * Writes a nested message: `body` writes its fields, then the length prefix is filled in. One
   * byte is reserved for it and the body moved only when it turns out longer than 127 bytes.
   */
  message(field: number, body: () => void): void {
    this.tag(field, WIRE_BYTES);
    this.ensure(1);
    const lengthAt = this.pos++;
    body();
    const length = this.pos - lengthAt - 1;
    if (length < 0x80) {
      this.buf[lengthAt] = length;
      return;
    }
    const prefix = varintSize(length);
    this.ensure(prefix - 1);
    this.buf.copyWithin(lengthAt + prefix, lengthAt + 1, this.pos);
    this.pos += prefix - 1;
    const end = this.pos;
    this.pos = lengthAt;
    this.varint(length);
    this.pos = end;
  }

  /** Starts over, keeping the buffer (one writer serves many requests). */
  reset(): this {
    this.pos = 0;
    return this;
  }

  /** The bytes written so far (a copy, so the writer's buffer can be dropped or reused). */
  finish(): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buf, 0, this.pos);
  }
}

function varintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/**
 * google.protobuf.Struct and Value, field by field. A Struct is `map<string, Value> fields = 1`
 * (entries: key = 1, value = 2); a Value is one of null_value = 1, number_value = 2,
 * string_value = 3, bool_value = 4, struct_value = 5, list_value = 6 (ListValue: values = 1).
 * google-protobuf writes map entries sorted by key and a oneof member even when it is zero.
 */
export const structFields = {
  /** One `fields` entry; `value` writes the Value's fields. */
  entry(w: ProtoWriter, key: string, value: () => void): void {
    w.message(1, () => {
      w.string(1, key);
      w.message(2, value);
    });
  },
  /** A scalar Value's fields; false when `value` is an array or object (the caller recurses). */
  scalar(w: ProtoWriter, value: unknown): boolean {
    if (value === null) w.enumValue(1, 0);
    else if (typeof value === "number") w.double(2, value);
    else if (typeof value === "string") w.string(3, value);
    else if (typeof value === "boolean") w.bool(4, value);
    else if (typeof value === "object") return false;
    else throw new Error(`unexpected ${typeof value} in a google.protobuf.Struct`);
    return true;
  },
  list(w: ProtoWriter, items: readonly unknown[], item: (value: unknown) => void): void {
    w.message(6, () => {
      for (const v of items) w.message(1, () => item(v));
    });
  },
  struct(w: ProtoWriter, body: () => void): void {
    w.message(5, body);
  },
};

/** A Value's fields for plain JS data, as `Value.fromJavaScript` would build it. */
export function writePlainValue(w: ProtoWriter, value: unknown): void {
  if (structFields.scalar(w, value)) return;
  if (Array.isArray(value)) return structFields.list(w, value, (v) => writePlainValue(w, v));
  const obj = value as Record<string, unknown>;
  structFields.struct(w, () => {
    for (const key of Object.keys(obj).sort()) structFields.entry(w, key, () => writePlainValue(w, obj[key]));
  });
}
