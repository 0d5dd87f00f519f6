/**
 * Is this text one JSON value (what JSON.parse accepts)? A recursive-descent checker that builds
 * nothing: for the JSON-mode check on the per-line path, JSON.parse would allocate the whole
 * object (and throw, slowly, when it fails) only to be thrown away. Nesting deeper than
 * MAX_DEPTH is left to JSON.parse.
 */

const MAX_DEPTH = 256;
const FAIL = -1;
const DEEP = -2;

export function isValidJson(s: string): boolean {
  const end = value(s, ws(s, 0), 0);
  if (end === DEEP) {
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  }
  return end !== FAIL && ws(s, end) === s.length;
}

function ws(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

function value(s: string, i: number, depth: number): number {
  switch (s.charCodeAt(i)) {
    case 123: // {
      return depth >= MAX_DEPTH ? DEEP : object(s, i + 1, depth + 1);
    case 91: // [
      return depth >= MAX_DEPTH ? DEEP : array(s, i + 1, depth + 1);
    case 34: // "
      return string(s, i + 1);
    case 116: // t
      return s.startsWith('true', i) ? i + 4 : FAIL;
    case 102: // f
      return s.startsWith('false', i) ? i + 5 : FAIL;
    case 110: // n
      return s.startsWith('null', i) ? i + 4 : FAIL;
    default:
      return number(s, i);
  }
}

function object(s: string, i: number, depth: number): number {
  i = ws(s, i);
  if (s.charCodeAt(i) === 125) return i + 1;
  for (;;) {
    if (s.charCodeAt(i) !== 34) return FAIL;
    i = string(s, i + 1);
    if (i < 0) return i;
    i = ws(s, i);
    if (s.charCodeAt(i) !== 58) return FAIL; // :
    i = value(s, ws(s, i + 1), depth);
    if (i < 0) return i;
    i = ws(s, i);
    const c = s.charCodeAt(i);
    if (c === 125) return i + 1;
    if (c !== 44) return FAIL;
    i = ws(s, i + 1);
  }
}

function array(s: string, i: number, depth: number): number {
  i = ws(s, i);
  if (s.charCodeAt(i) === 93) return i + 1;
  for (;;) {
    i = value(s, i, depth);
    if (i < 0) return i;
    i = ws(s, i);
    const c = s.charCodeAt(i);
    if (c === 93) return i + 1;
    if (c !== 44) return FAIL;
    i = ws(s, i + 1);
  }
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** From after the opening quote to after the closing one. */
function string(s: string, i: number): number {
  for (;;) {
    if (i >= s.length) return FAIL;
    const c = s.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c < 0x20) return FAIL;
    if (c === 92) {
      const e = s.charCodeAt(i + 1);
      if (e === 117) {
        if (!(isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3)) && isHex(s.charCodeAt(i + 4)) && isHex(s.charCodeAt(i + 5)))) return FAIL;
        i += 6;
        continue;
      }
      // " \ / b f n r t
      if (e !== 34 && e !== 92 && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) return FAIL;
      i += 2;
      continue;
    }
    i++;
  }
}

function digits(s: string, i: number): number {
  const start = i;
  for (let c = s.charCodeAt(i); c >= 48 && c <= 57; c = s.charCodeAt(++i));
  return i > start ? i : FAIL;
}

function number(s: string, i: number): number {
  if (s.charCodeAt(i) === 45) i++; // -
  const c = s.charCodeAt(i);
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) i = digits(s, i);
  else return FAIL;
  if (s.charCodeAt(i) === 46) {
    i = digits(s, i + 1);
    if (i < 0) return FAIL;
  }
  const e = s.charCodeAt(i);
  if (e === 101 || e === 69) {
    i++;
    const sign = s.charCodeAt(i);
    if (sign === 43 || sign === 45) i++;
    i = digits(s, i);
  }
  return i;
}
