/**
 * The same string, held as one run of characters. V8 builds a concatenation (`a + b`, a template literal) and a
 * JSON.stringify result as a tree of parts, an object each; a string kept by the tens of thousands (a pending
 * push's key and wire form) would keep every part alive and every young-generation GC would copy them all.
 * Reading a character flattens the tree in place, and the next GC drops the wrapper that pointed to it.
 */
export function flatString<T extends string>(text: T): T {
  text.charCodeAt(0);
  return text;
}
