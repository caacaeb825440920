/**
 * `Promise.withResolvers` for Node 20: the Restate SDK (1.17) calls it on every invocation and it
 * only exists from Node 22, while this project supports Node ≥ 20.3. Imported first by the
 * service process; a no-op where Node has it.
 */
const P = Promise as unknown as { withResolvers?: unknown };
if (typeof P.withResolvers !== 'function')
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };

export {};
