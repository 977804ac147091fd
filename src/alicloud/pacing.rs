//! Pacing when throttled: each action gets a send rate, shared by every call of the process,
//! that halves when the service throttles and creeps back up while calls succeed (additive
//! increase, multiplicative decrease), with any `x-acs-retry-after` honoured and jittered slots.
//!
//! An action that has never been throttled is not paced at all. The first throttle sets its rate
//! to half of what the process was sending in the last second; later throttles halve it again
//! (at most once per [`DECREASE_GAP`], since answers to requests already in flight at the old
//! rate say nothing about the new one), but never below the rate at which calls of the action
//! succeeded over the last [`FLOOR_MEMORY`]: that is what the service demonstrably accepts,
//! so a limit shared with other processes slows this one to its share, and throttles that are
//! not about rate at all do not slow it to a crawl. Each second of success adds [`INCREASE_PER_SECOND`]; after [`CALM_AFTER`] without
//! a throttle, or above [`UNPACED_ABOVE`], the action is unpaced again. Only dense throttles
//! (at least [`DENSE_SHARE`] of recent answers) cause a decrease: a limit being overrun throttles
//! most requests, while a sparse sprinkling of throttles is no reason to slow every call. Time is an input, so the logic is tested without sleeping
//! (including simulated fleets against a token bucket); the client owns the clock.
//!
//! Compare the official provider: each call retries on its own after fixed sleeps, so many
//! resources throttled together come back together and are throttled again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The slowest a throttled action is paced to, in requests per second.
pub const MIN_RATE: f64 = 0.2;
/// How much a throttled action's rate grows per second of success.
pub const INCREASE_PER_SECOND: f64 = 0.2;
/// Throttles closer together than this cause one decrease.
pub const DECREASE_GAP: Duration = Duration::from_secs(1);
/// An action throttled no more for this long is unpaced.
pub const CALM_AFTER: Duration = Duration::from_secs(60);
/// A rate this high is as good as unpaced.
pub const UNPACED_ABOVE: f64 = 100.0;
/// Slots are spread by up to this fraction of the interval either way.
pub const JITTER: f64 = 0.1;

/// The environment variable that switches pacing off (`off`), for comparisons.
pub const SWITCH_ENV: &str = "ALICLOUD_PACING";

/// The pacing state of one action.
#[derive(Clone, Debug)]
pub struct Pacer {
    /// Requests per second, or `None` while not paced.
    rate: Option<f64>,
    /// The earliest time the next request may go.
    next_at: Option<Instant>,
    last_throttle: Option<Instant>,
    last_increase: Option<Instant>,
    /// Sends counted in the current one-second window, and that window's start.
    window_start: Option<Instant>,
    window_sends: u32,
    /// The send rate of the last complete window.
    recent_rate: f64,
    /// The same for successful answers.
    ok_window: Window,
    /// Answers and throttles of the last second or two.
    shares: ShareWindow,
}

/// Answers and throttles over the last second or so.
#[derive(Clone, Debug, Default)]
struct ShareWindow {
    start: Option<Instant>,
    answers: u32,
    throttled: u32,
    /// The previous window's counts, so a new window is judged with some history.
    prev_answers: u32,
    prev_throttled: u32,
}

impl ShareWindow {
    fn record(&mut self, now: Instant, throttled: bool) {
        match self.start {
            Some(start) if now.saturating_duration_since(start) < Duration::from_secs(1) => {}
            Some(start) => {
                let stale = now.saturating_duration_since(start) > Duration::from_secs(2);
                self.prev_answers = if stale { 0 } else { self.answers };
                self.prev_throttled = if stale { 0 } else { self.throttled };
                self.start = Some(now);
                self.answers = 0;
                self.throttled = 0;
            }
            None => self.start = Some(now),
        }
        self.answers = self.answers.saturating_add(1);
        self.throttled = self.throttled.saturating_add(u32::from(throttled));
    }

    /// Whether throttles are dense enough to be about rate: at least [`DENSE_SHARE`] of the
    /// answers of this window and the last, and at least [`DENSE_MIN`] of them.
    fn dense(&self) -> bool {
        let answers = self.answers + self.prev_answers;
        let throttled = self.throttled + self.prev_throttled;
        throttled >= DENSE_MIN && f64::from(throttled) >= DENSE_SHARE * f64::from(answers)
    }
}

/// The throttled share of recent answers that causes a decrease. Throttles that are about rate
/// (a limit the process, or the account's other workspaces, overrun) come densely; a sparse
/// sprinkling (a service shedding load now and then) is left to each call's own backoff.
pub const DENSE_SHARE: f64 = 0.35;
/// The fewest throttles that cause a decrease.
pub const DENSE_MIN: u32 = 5;

/// Events counted in one-second windows, remembering the complete windows of the last
/// [`FLOOR_MEMORY`].
#[derive(Clone, Debug, Default)]
struct Window {
    start: Option<Instant>,
    count: u32,
    /// Complete windows: when each ended and its rate.
    done: std::collections::VecDeque<(Instant, f64)>,
}

/// How far back the success rate that floors a decrease is averaged.
pub const FLOOR_MEMORY: Duration = Duration::from_secs(10);

impl Window {
    fn count(&mut self, now: Instant) {
        match self.start {
            Some(start) if now.saturating_duration_since(start) < Duration::from_secs(1) => {
                self.count = self.count.saturating_add(1);
            }
            Some(start) => {
                let secs = now.saturating_duration_since(start).as_secs_f64().max(1.0);
                self.done.push_back((now, f64::from(self.count) / secs));
                while self
                    .done
                    .front()
                    .is_some_and(|(t, _)| now.saturating_duration_since(*t) > FLOOR_MEMORY)
                {
                    self.done.pop_front();
                }
                self.start = Some(now);
                self.count = 1;
            }
            None => {
                self.start = Some(now);
                self.count = 1;
            }
        }
    }

    /// The average rate of the complete windows of the last [`FLOOR_MEMORY`]; with none, the
    /// current window's so far (counted over at least a second).
    fn rate(&self, now: Instant) -> f64 {
        let recent: Vec<f64> = self
            .done
            .iter()
            .filter(|(t, _)| now.saturating_duration_since(*t) <= FLOOR_MEMORY)
            .map(|(_, r)| *r)
            .collect();
        if !recent.is_empty() {
            return recent.iter().sum::<f64>() / recent.len() as f64;
        }
        match self.start {
            Some(start) => {
                let secs = now.saturating_duration_since(start).as_secs_f64().max(1.0);
                f64::from(self.count) / secs
            }
            None => 0.0,
        }
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new()
    }
}

impl Pacer {
    pub fn new() -> Pacer {
        Pacer {
            rate: None,
            next_at: None,
            last_throttle: None,
            last_increase: None,
            window_start: None,
            window_sends: 0,
            recent_rate: 0.0,
            ok_window: Window::default(),
            shares: ShareWindow::default(),
        }
    }

    /// The current rate in requests per second; `None` while not paced.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Takes the next send slot at or after `now` and returns how long to wait for it.
    /// `jitter` is a uniform random number in `[0, 1)`.
    pub fn reserve(&mut self, now: Instant, jitter: f64) -> Duration {
        self.count_send(now);
        let floor = self.next_at.filter(|t| *t > now).unwrap_or(now);
        let Some(rate) = self.rate else {
            return floor - now;
        };
        let spread = 1.0 - JITTER + 2.0 * JITTER * jitter.clamp(0.0, 1.0);
        let interval = Duration::from_secs_f64(spread / rate);
        self.next_at = Some(floor + interval);
        floor - now
    }

    /// Records a throttled answer at `now`, with the service's retry-after if it gave one.
    pub fn on_throttled(&mut self, now: Instant, retry_after: Option<Duration>) {
        self.shares.record(now, true);
        let recent = self
            .last_throttle
            .is_some_and(|t| now.saturating_duration_since(t) < DECREASE_GAP);
        if !recent && self.shares.dense() {
            let base = match self.rate {
                Some(r) => r,
                None => self.observed_rate(now),
            };
            let floor = self.ok_window.rate(now).min(base);
            let halved = (base / 2.0).max(floor).max(MIN_RATE);
            self.rate = Some(halved);
            let gap = Duration::from_secs_f64(1.0 / halved);
            self.push_next(now + gap);
            self.last_throttle = Some(now);
        }
        self.last_increase = Some(now);
        if let Some(wait) = retry_after {
            self.push_next(now + wait);
        }
    }

    /// Records a successful answer at `now`: the rate grows with the time since the last change.
    pub fn on_success(&mut self, now: Instant) {
        self.ok_window.count(now);
        self.shares.record(now, false);
        let Some(rate) = self.rate else { return };
        let calm = self
            .last_throttle
            .is_none_or(|t| now.saturating_duration_since(t) >= CALM_AFTER);
        let since = self
            .last_increase
            .map_or(Duration::ZERO, |t| now.saturating_duration_since(t))
            .min(Duration::from_secs(1));
        let grown = rate + INCREASE_PER_SECOND * since.as_secs_f64();
        self.last_increase = Some(now);
        if calm || grown > UNPACED_ABOVE {
            self.rate = None;
        } else {
            self.rate = Some(grown);
        }
    }

    fn push_next(&mut self, at: Instant) {
        if self.next_at.is_none_or(|t| t < at) {
            self.next_at = Some(at);
        }
    }

    fn count_send(&mut self, now: Instant) {
        match self.window_start {
            Some(start) if now.saturating_duration_since(start) < Duration::from_secs(1) => {
                self.window_sends = self.window_sends.saturating_add(1);
            }
            Some(start) => {
                let secs = now.saturating_duration_since(start).as_secs_f64().max(1.0);
                self.recent_rate = f64::from(self.window_sends) / secs;
                self.window_start = Some(now);
                self.window_sends = 1;
            }
            None => {
                self.window_start = Some(now);
                self.window_sends = 1;
            }
        }
    }

    /// What the process has been sending: the last window's rate or the current one's, whichever
    /// is higher, and never below [`MIN_RATE`] doubled.
    fn observed_rate(&self, now: Instant) -> f64 {
        let current = match self.window_start {
            Some(start) => {
                let secs = now.saturating_duration_since(start).as_secs_f64().max(1.0);
                f64::from(self.window_sends) / secs
            }
            None => 0.0,
        };
        self.recent_rate.max(current).max(2.0 * MIN_RATE)
    }
}

/// The process's pacers, one per endpoint host and action.
#[derive(Debug, Default)]
pub struct Pacers {
    enabled: bool,
    by_key: Mutex<HashMap<String, Pacer>>,
}

impl Pacers {
    pub fn new(enabled: bool) -> Pacers {
        Pacers {
            enabled,
            by_key: Mutex::new(HashMap::new()),
        }
    }

    fn with<R>(&self, key: &str, f: impl FnOnce(&mut Pacer) -> R) -> Option<R> {
        if !self.enabled {
            return None;
        }
        let mut map = match self.by_key.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        Some(f(map.entry(key.to_string()).or_default()))
    }

    /// See [`Pacer::reserve`]; zero when pacing is off.
    pub fn reserve(&self, key: &str, now: Instant, jitter: f64) -> Duration {
        self.with(key, |p| p.reserve(now, jitter))
            .unwrap_or(Duration::ZERO)
    }

    pub fn on_throttled(&self, key: &str, now: Instant, retry_after: Option<Duration>) {
        self.with(key, |p| p.on_throttled(now, retry_after));
    }

    pub fn on_success(&self, key: &str, now: Instant) {
        self.with(key, |p| p.on_success(now));
    }

    /// The current rate of `key`, for tests and logs.
    pub fn rate(&self, key: &str) -> Option<f64> {
        self.with(key, |p| p.rate()).flatten()
    }
}

impl Pacers {
    /// Pacers that are on unless [`SWITCH_ENV`] is `off`.
    pub fn from_env() -> Pacers {
        let off = std::env::var(SWITCH_ENV).is_ok_and(|v| v.trim().eq_ignore_ascii_case("off"));
        Pacers::new(!off)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dense throttles at `t`: enough answers, all throttled, to cause a decrease.
    fn burst(p: &mut Pacer, t: Instant) {
        for _ in 0..DENSE_MIN {
            p.on_throttled(t, None);
        }
    }

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// An action never throttled is not paced: every reservation is immediate.
    #[test]
    fn unthrottled_is_unpaced() {
        let t0 = Instant::now();
        let mut p = Pacer::new();
        for i in 0..100 {
            assert_eq!(
                p.reserve(t0 + secs(f64::from(i) * 0.01), 0.5),
                Duration::ZERO
            );
        }
        assert_eq!(p.rate(), None);
    }

    /// The first throttle halves the observed send rate; slots are then spaced by the rate.
    #[test]
    fn first_throttle_halves_the_observed_rate() {
        let t0 = Instant::now();
        let mut p = Pacer::new();
        // 20 sends in the first second, then one more in the next window.
        for i in 0..20 {
            p.reserve(t0 + secs(f64::from(i) * 0.05), 0.5);
        }
        p.reserve(t0 + secs(1.0), 0.5);
        burst(&mut p, t0 + secs(1.0));
        assert_eq!(p.rate(), Some(10.0));
        // The next slot is one interval away; jitter 0.5 is the exact interval.
        let now = t0 + secs(1.0);
        let w1 = p.reserve(now, 0.5);
        let w2 = p.reserve(now, 0.5);
        assert!((w1.as_secs_f64() - 0.1).abs() < 1e-6, "{w1:?}");
        assert!((w2.as_secs_f64() - 0.2).abs() < 1e-6, "{w2:?}");
    }

    /// Throttles within the gap count once; later ones halve again, down to the floor.
    #[test]
    fn decrease_is_multiplicative_and_bounded() {
        let t0 = Instant::now();
        let mut p = Pacer::new();
        burst(&mut p, t0);
        let first = p.rate().expect("paced");
        burst(&mut p, t0 + secs(0.5));
        assert_eq!(p.rate(), Some(first), "in-flight throttles count once");
        let mut t = t0;
        for _ in 0..20 {
            t += secs(2.0);
            burst(&mut p, t);
        }
        assert_eq!(p.rate(), Some(MIN_RATE));
    }

    /// Success adds a fixed amount per second, not per call, and calm unpaces.
    #[test]
    fn increase_is_additive_per_second() {
        let t0 = Instant::now();
        let mut p = Pacer::new();
        burst(&mut p, t0);
        let r0 = p.rate().expect("paced");
        for i in 1..=100 {
            p.on_success(t0 + secs(f64::from(i) * 0.1));
        }
        let r10 = p.rate().expect("still paced");
        assert!(
            (r10 - (r0 + 10.0 * INCREASE_PER_SECOND)).abs() < 1e-6,
            "{r0} -> {r10}"
        );
        p.on_success(t0 + CALM_AFTER + secs(1.0));
        assert_eq!(p.rate(), None, "calm for a minute: unpaced");
    }

    /// A sparse throttle among many successes causes no decrease; dense ones do.
    #[test]
    fn only_dense_throttles_decrease() {
        let t0 = Instant::now();
        let mut p = Pacer::new();
        for i in 0..40 {
            p.on_success(t0 + secs(f64::from(i) * 0.02));
        }
        p.on_throttled(t0 + secs(0.9), None);
        assert_eq!(p.rate(), None, "one throttle in 41 answers");
        for _ in 0..30 {
            p.on_throttled(t0 + secs(0.95), None);
        }
        assert!(p.rate().is_some(), "31 throttles in 71 answers");
    }

    /// A retry-after pushes the next slot at least that far, paced or not.
    #[test]
    fn retry_after_is_honoured() {
        let t0 = Instant::now();
        let mut p = Pacer::new();
        p.on_throttled(t0, Some(secs(3.0)));
        let w = p.reserve(t0, 0.0);
        assert!(w >= secs(3.0), "{w:?}");
    }

    /// Jitter spreads slots by at most JITTER of the interval either way.
    #[test]
    fn jitter_is_bounded() {
        let t0 = Instant::now();
        for (jitter, factor) in [(0.0, 1.0 - JITTER), (0.999_999, 1.0 + JITTER)] {
            let mut p = Pacer::new();
            burst(&mut p, t0);
            let rate = p.rate().expect("paced");
            let start = t0 + secs(10.0);
            p.reserve(start, jitter);
            let w = p.reserve(start, jitter);
            assert!(
                (w.as_secs_f64() - factor / rate).abs() < 1e-3,
                "jitter {jitter}: {w:?}"
            );
        }
    }

    /// Pacing switched off never waits and keeps no rate.
    #[test]
    fn switched_off() {
        let t0 = Instant::now();
        let pacers = Pacers::new(false);
        pacers.on_throttled("k", t0, Some(secs(5.0)));
        assert_eq!(pacers.reserve("k", t0, 0.5), Duration::ZERO);
        assert_eq!(pacers.rate("k"), None);
        let on = Pacers::new(true);
        for _ in 0..DENSE_MIN {
            on.on_throttled("k", t0, Some(secs(5.0)));
        }
        assert!(on.reserve("k", t0, 0.5) >= secs(5.0));
        assert!(on.rate("k").is_some());
        assert_eq!(on.rate("other"), None, "actions are paced apart");
    }

    /// What a simulated run measured.
    struct Run {
        sent: u32,
        throttled: u32,
        /// Accepted requests per second over the second half.
        accepted_rate: f64,
        /// Throttled share over the second half.
        throttled_share: f64,
    }

    /// Simulates `processes` provider processes, each with `callers` calls of one action always
    /// waiting to go, against a service answering in 50 ms. `throttle(t, rng)` says whether a
    /// request sent at `t` (seconds) is throttled. A throttled caller backs off up to 1 s (the
    /// client's own backoff), as the client does. Pure: the pacers get simulated time.
    fn simulate(
        processes: usize,
        callers: usize,
        seconds: f64,
        paced: bool,
        mut throttle: impl FnMut(f64, &mut u64) -> bool,
    ) -> Run {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        #[derive(PartialEq, Eq, PartialOrd, Ord)]
        enum Ev {
            Ready,
            Send,
            Answer(bool),
        }
        let t0 = Instant::now();
        let at = |t: f64| t0 + secs(t);
        let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
        let next = |r: &mut u64| {
            *r ^= *r << 13;
            *r ^= *r >> 7;
            *r ^= *r << 17;
            (*r >> 11) as f64 / (1u64 << 53) as f64
        };
        let pacers: Vec<Pacers> = (0..processes).map(|_| Pacers::new(paced)).collect();
        let mut queue = BinaryHeap::new();
        for p in 0..processes {
            for c in 0..callers {
                let start = (p * callers + c) as f64 * 0.001;
                queue.push(Reverse(((start * 1e9) as u64, Ev::Ready, p)));
            }
        }
        let (mut sent, mut throttled) = (0u32, 0u32);
        let (mut late_ok, mut late_sent, mut late_throttled) = (0u32, 0u32, 0u32);
        while let Some(Reverse((ns, ev, p))) = queue.pop() {
            let t = ns as f64 / 1e9;
            if t > seconds {
                break;
            }
            match ev {
                Ev::Ready => {
                    let jitter = next(&mut rng);
                    let wait = pacers[p].reserve("a", at(t), jitter);
                    let send = t + wait.as_secs_f64();
                    queue.push(Reverse(((send * 1e9) as u64, Ev::Send, p)));
                }
                Ev::Send => {
                    let refused = throttle(t, &mut rng);
                    sent += 1;
                    throttled += u32::from(refused);
                    if t > seconds / 2.0 {
                        late_sent += 1;
                        late_throttled += u32::from(refused);
                        late_ok += u32::from(!refused);
                    }
                    let back = ((t + 0.05) * 1e9) as u64;
                    queue.push(Reverse((back, Ev::Answer(!refused), p)));
                }
                Ev::Answer(ok) => {
                    let mut ready = t;
                    if ok {
                        pacers[p].on_success("a", at(t));
                    } else {
                        pacers[p].on_throttled("a", at(t), None);
                        ready += next(&mut rng);
                    }
                    queue.push(Reverse(((ready * 1e9) as u64, Ev::Ready, p)));
                }
            }
        }
        Run {
            sent,
            throttled,
            accepted_rate: f64::from(late_ok) / (seconds / 2.0),
            throttled_share: f64::from(late_throttled) / f64::from(late_sent.max(1)),
        }
    }

    /// A token bucket of `rate` per second (burst `rate`), as the emulator's account limit.
    fn bucket(rate: f64) -> impl FnMut(f64, &mut u64) -> bool {
        let (mut tokens, mut last) = (rate, 0.0f64);
        move |t, _| {
            tokens = (tokens + (t - last) * rate).min(rate);
            last = t;
            if tokens >= 1.0 {
                tokens -= 1.0;
                false
            } else {
                true
            }
        }
    }

    /// Eight processes against one 10/s limit: paced, far fewer requests are sent and throttled
    /// and the limit is still used; unpaced, nearly all are throttled.
    #[test]
    fn shared_limit_is_shared_without_a_storm() {
        let paced = simulate(8, 10, 240.0, true, bucket(10.0));
        let unpaced = simulate(8, 10, 240.0, false, bucket(10.0));
        eprintln!(
            "paced: {} sent, {} throttled, late share {:.3}, late accepted {:.2}/s; \
             unpaced: {} sent, {} throttled, late share {:.3}, late accepted {:.2}/s",
            paced.sent,
            paced.throttled,
            paced.throttled_share,
            paced.accepted_rate,
            unpaced.sent,
            unpaced.throttled,
            unpaced.throttled_share,
            unpaced.accepted_rate
        );
        assert!(paced.throttled_share < 0.6, "{}", paced.throttled_share);
        assert!(paced.accepted_rate > 7.0, "{}", paced.accepted_rate);
        assert!(paced.throttled_share < 0.6 * unpaced.throttled_share);
        assert!(paced.sent * 4 < unpaced.sent, "far fewer requests");
    }

    /// Throttles that are not about rate (one answer in five, whatever the rate) slow a process
    /// somewhat, never to a crawl.
    #[test]
    fn random_throttles_do_not_collapse_the_rate() {
        let one_in_five = |_: f64, r: &mut u64| {
            *r ^= *r << 13;
            *r ^= *r >> 7;
            *r ^= *r << 17;
            *r % 5 == 0
        };
        let paced = simulate(1, 10, 240.0, true, one_in_five);
        let unpaced = simulate(1, 10, 240.0, false, one_in_five);
        eprintln!(
            "random 20%: accepted {:.1}/s paced, {:.1}/s unpaced",
            paced.accepted_rate, unpaced.accepted_rate
        );
        assert!(
            paced.accepted_rate > 0.3 * unpaced.accepted_rate,
            "{} vs {}",
            paced.accepted_rate,
            unpaced.accepted_rate
        );
    }
}
