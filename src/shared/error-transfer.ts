/**
 * Makes errors keep their type across the worker boundary. Comlink's own handler sends only
 * `name`, `message` and `stack`, so a TandemError would lose its `code` and an AbortError would
 * arrive as a plain Error. Both threads install this before any call.
 */
import * as Comlink from 'comlink';
import { TandemError, type TandemErrorCode } from './errors';

interface SerializedThrow {
  isError: boolean;
  value: unknown;
}

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

let installed = false;

export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const original = Comlink.transferHandlers.get('throw');
  if (!original) return;

  Comlink.transferHandlers.set('throw', {
    canHandle: original.canHandle,
    serialize(thrown: unknown): [SerializedThrow, Transferable[]] {
      const value = (thrown as { value: unknown }).value;
      if (!(value instanceof Error || value instanceof DOMException)) return [{ isError: false, value }, []];
      const error: SerializedError = { name: value.name, message: value.message, stack: value.stack };
      if (value instanceof TandemError) error.code = value.code;
      return [{ isError: true, value: error }, []];
    },
    deserialize(serialized: SerializedThrow): never {
      if (!serialized.isError) throw serialized.value;
      const { name, message, stack, code } = serialized.value as SerializedError;
      if (name === 'AbortError') throw new DOMException(message, 'AbortError');
      const error = name === 'TandemError' ? new TandemError(code as TandemErrorCode, message) : Object.assign(new Error(message), { name });
      if (stack) error.stack = stack;
      throw error;
    },
  });
}
