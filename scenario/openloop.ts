// Open-loop levels (pure: shared by the k6 script and the orchestrator). k6's constant-arrival-rate
// executor starts one iteration every 1/rate seconds whether or not earlier ones have finished; each
// needs a free VU, so the VU pool bounds the requests in flight and any start that finds none is
// counted in dropped_iterations instead of being delayed.

export interface VuSizing {
  preAllocatedVUs: number;
  maxVUs: number;
}

/**
 * VUs for a rate, by Little's law: in flight = rate × latency. preAllocatedVUs = ceil(rate × L) + 1
 * covers the expected latency L; maxVUs = ceil(rate × L × headroom) + 1 lets latency grow `headroom`
 * times before starts are dropped, capped at `cap` (every VU is a goroutine and a connection on the
 * load generator's CPUs). preAllocatedVUs never exceeds maxVUs.
 */
export function vuSizing(rateRps: number, expectedLatencyMs: number, headroom: number, cap: number): VuSizing {
  const inFlight = (rateRps * expectedLatencyMs) / 1000;
  const maxVUs = Math.max(1, Math.min(cap, Math.ceil(inFlight * headroom) + 1));
  return { preAllocatedVUs: Math.min(maxVUs, Math.ceil(inFlight) + 1), maxVUs };
}

/** Achieved rate below the target by more than `tolerance` (0.05 = 5 %): the level did not run at its target. */
export function isSaturated(targetRps: number, achievedRps: number, tolerance: number): boolean {
  return achievedRps < targetRps * (1 - tolerance);
}
