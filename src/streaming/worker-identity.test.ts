import { attemptStreamUrl, identityWithStream, streamBaseUrlOf } from './worker-identity';

describe('worker identity naming its stream server', () => {
  it('round-trips the base URL, IPv6 and advertised names included', () => {
    for (const base of ['http://127.0.0.1:9467', 'http://[fd00::7]:9467', 'https://w-3.internal']) {
      const identity = identityWithStream('activities:42@host-1', base);
      expect(identity).toBe(`activities:42@host-1 ${base}`);
      expect(streamBaseUrlOf(identity)).toBe(base);
    }
  });

  it('names no stream for older workers, streaming off, or garbage', () => {
    expect(streamBaseUrlOf('activities:42@host-1')).toBeUndefined();
    expect(streamBaseUrlOf(identityWithStream('42@host', undefined))).toBeUndefined();
    expect(streamBaseUrlOf('42@host http://')).toBeUndefined();
    expect(streamBaseUrlOf(undefined)).toBeUndefined();
    expect(attemptStreamUrl('42@host', 'job', 0, 1)).toBeUndefined();
  });

  it("gives one attempt's stream path, the job id encoded", () => {
    expect(attemptStreamUrl('42@h http://127.0.0.1:9467', 'job/1 x', 2, 3)).toBe(
      'http://127.0.0.1:9467/streams/job%2F1%20x/2/3',
    );
  });
});
