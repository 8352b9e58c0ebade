"""The timing both peers share with PeerComparison: the median of 40 runs after 5 warm-ups, in ms."""
import statistics, time

def p50(f, warmup=5, samples=40):
    for _ in range(warmup): f()
    times = []
    for _ in range(samples):
        start = time.perf_counter(); f(); times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)
