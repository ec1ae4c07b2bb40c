import { formatFeedCheckpoint, parseFeedCheckpoint } from './checkpoint-text';

describe('feed checkpoints as text', () => {
  it('round-trips epoch.txId.position', () => {
    const checkpoint = { epoch: 2, txId: 918_273, position: 4_455 };
    expect(formatFeedCheckpoint(checkpoint)).toBe('2.918273.4455');
    expect(parseFeedCheckpoint('2.918273.4455')).toEqual(checkpoint);
    expect(parseFeedCheckpoint('0.0.0')).toEqual({ epoch: 0, txId: 0, position: 0 });
  });

  it.each(['', '1.2', '1.2.3.4', '-1.2.3', '1.2.x', ' 1.2.3', '1.2.3 ', '3000000000.1.1', '1.2.3e4'])('refuses %j', (text) => {
    expect(parseFeedCheckpoint(text)).toBeNull();
  });
});
