//! Pacing when throttled: each action gets a send rate, shared by every call of the process,
//! that drops to what the service accepted when it throttles and climbs back while calls
//! succeed, with any `x-acs-retry-after` honoured and jittered slots.
//!
//! An action starts slowly, as TCP does: until its first throttle, at most a window of requests
//! is in flight (two at first, one more per success, so it doubles with every round trip; see
//! [`SLOW_START`]), and past a window larger than Terraform's parallelism the action is
//! unpaced. A workspace alone on its account loses a few round trips at its start; many
//! workspaces started together send a few requests each instead of their whole parallelism, so
//! the account's limit throttles a handful rather than most of a burst that no answer could
//! have paced.
//!
//! A throttle sets the rate to what the service accepted of the last [`HISTORY`]: the rate sent
//! times the share that was not throttled, less a margin ([`MARGIN`]); in slow start, the
//! successes so far per second. That is the one estimate a process can make of its share of a
//! limit it shares with processes it does not know. Later throttles each cut the rate to
//! [`LATER_CUT`] of itself, at most once per [`DECREASE_GAP`] (answers to requests in flight at
//! the old rate say nothing about the new one): a process that sends more meets more throttles
//! and slows more, so processes sharing a limit converge on equal shares. While calls succeed
//! the rate grows by a tenth of a request per second each second and by a share of itself
//! ([`GROWTH`]), slowly at first and faster the longer nothing is throttled. After
//! [`CALM_AFTER`] without a throttle, or above [`UNPACED_ABOVE`], the action is unpaced again.
//! Throttles that make up a small share of many answers ([`SPARSE`]: under a tenth of the
//! last hundred) are not about rate, and are left to each call's backoff.
//!
//! Time is an input, so the logic is tested without sleeping (including simulated fleets against
//! a token bucket); the client owns the clock.
//!
//! Compare the official provider: each call retries on its own after fixed sleeps, so many
//! resources throttled together come back together and are throttled again.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The slowest a throttled action is paced to, in requests per second.
pub const MIN_RATE: f64 = 0.2;
/// How far back sends and answers are remembered to judge a throttle.
pub const HISTORY: Duration = Duration::from_secs(2);
/// A decrease lands this far below what the service accepted.
pub const MARGIN: f64 = 0.9;
/// A paced action throttled again drops to this share of its rate.
pub const LATER_CUT: f64 = 0.6;
/// The deepest cut of all, even when nearly everything was throttled.
pub const DEEPEST_CUT: f64 = 0.1;
/// The first decrease after slow start waits for this many answers (or
/// [`FIRST_JUDGED_THROTTLES`] throttles).
pub const FEWEST_JUDGED: usize = 5;
/// See [`FEWEST_JUDGED`].
pub const FIRST_JUDGED_THROTTLES: usize = 3;
/// Throttles closer together than this cause one decrease.
pub const DECREASE_GAP: Duration = Duration::from_millis(250);
/// An action throttled no more for this long is unpaced.
pub const CALM_AFTER: Duration = Duration::from_secs(60);
/// A rate this high is as good as unpaced.
pub const UNPACED_ABOVE: f64 = 100.0;
/// Slots are spread by up to this fraction of the interval either way.
pub const JITTER: f64 = 0.1;

/// How a paced rate grows while calls succeed, per second: by `additive` requests per second
/// (the same for every process, so processes sharing a limit drift towards equal shares) and
/// by `probe` of itself, a share that doubles with every `doubling` without a throttle, up to
/// `most`.
#[derive(Clone, Copy, Debug)]
pub struct Growth {
    pub additive: f64,
    pub probe: f64,
    pub doubling: Duration,
    pub most: f64,
}

/// See [`Growth`].
pub const GROWTH: Growth = Growth {
    additive: 0.1,
    probe: 0.05,
    doubling: Duration::from_secs(2),
    most: 0.1,
};

/// The slow start: `window` requests of an action may be in flight at once at its start, one
/// more per success, until `end` (more than Terraform's parallelism: the window no longer
/// holds anything back). A request counts as in flight for at most `in_flight_for`, so an
/// answer the pacer never hears of (a stopped call) does not hold the window shut; a caller
/// finding it full asks again after `poll`.
#[derive(Clone, Copy, Debug)]
pub struct SlowStartTuning {
    pub window: usize,
    pub end: usize,
    pub in_flight_for: Duration,
    pub poll: Duration,
}

/// See [`SlowStartTuning`].
pub const SLOW_START: SlowStartTuning = SlowStartTuning {
    window: 2,
    end: 32,
    in_flight_for: Duration::from_secs(2),
    poll: Duration::from_millis(5),
};

/// Throttles below `share` of the recent answers, when there are at least `answers` of them,
/// are a sprinkling rather than a limit overrun: no decrease. The recent answers are those of
/// the last [`HISTORY`], or the last `answers` of them if that reaches further back, up to
/// `within`: counting answers rather than seconds lets a process already paced down to a few
/// requests a second still tell a sprinkling, where two seconds of its answers are too few to
/// judge and every throttle would cut it further.
#[derive(Clone, Copy, Debug)]
pub struct Sparse {
    pub share: f64,
    pub answers: usize,
    pub within: Duration,
}

/// See [`Sparse`].
pub const SPARSE: Sparse = Sparse {
    share: 0.1,
    answers: 100,
    within: Duration::from_secs(60),
};

/// The environment variable that switches pacing off (`off`), for comparisons.
pub const SWITCH_ENV: &str = "ALICLOUD_PACING";

/// Remembered events are capped, whatever the rate.
const REMEMBERED: usize = 4096;

/// Slow start: the sends still in flight and how many may be.
#[derive(Clone, Debug)]
struct SlowStart {
    window: usize,
    in_flight: VecDeque<Instant>,
}

/// The pacing state of one action.
#[derive(Clone, Debug)]
pub struct Pacer {
    /// Until the action's first throttle (or a window of [`SLOW_START`]).
    slow_start: Option<SlowStart>,
    /// Requests per second, or `None` while not paced.
    rate: Option<f64>,
    /// The earliest time the next request may go.
    next_at: Option<Instant>,
    last_decrease: Option<Instant>,
    last_throttle: Option<Instant>,
    last_growth: Option<Instant>,
    /// Sends of the last [`HISTORY`].
    sends: VecDeque<Instant>,
    /// Answers of the last [`HISTORY`], and further back as [`Sparse`] says: when, and whether
    /// throttled.
    answers: VecDeque<(Instant, bool)>,
}

impl Default for Pacer {
    fn default() -> Pacer {
        Pacer {
            slow_start: Some(SlowStart {
                window: SLOW_START.window,
                in_flight: VecDeque::new(),
            }),
            rate: None,
            next_at: None,
            last_decrease: None,
            last_throttle: None,
            last_growth: None,
            sends: VecDeque::new(),
            answers: VecDeque::new(),
        }
    }
}

/// Forgets the oldest of `events` (oldest first, each at `at`): those older than [`HISTORY`]
/// unless they are among the last `keep`, those older than [`SPARSE`]'s `within` in any case,
/// and any beyond [`REMEMBERED`].
fn forget_before<T>(
    events: &mut VecDeque<T>,
    now: Instant,
    keep: usize,
    at: impl Fn(&T) -> Instant,
) {
    while events.front().is_some_and(|e| {
        let age = now.saturating_duration_since(at(e));
        age > SPARSE.within || (age > HISTORY && events.len() > keep)
    }) || events.len() > REMEMBERED
    {
        events.pop_front();
    }
}

impl SlowStart {
    /// Whether a request may go at `now`; sends older than [`SLOW_START`] are let go.
    fn has_room(&mut self, now: Instant) -> bool {
        while self
            .in_flight
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > SLOW_START.in_flight_for)
        {
            self.in_flight.pop_front();
        }
        self.in_flight.len() < self.window
    }

    /// One answer came back.
    fn answered(&mut self) {
        self.in_flight.pop_front();
    }
}

impl Pacer {
    pub fn new() -> Pacer {
        Pacer::default()
    }

    /// The current rate in requests per second; `None` while not paced.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Takes a send slot if one is free at `now` and returns zero; otherwise returns how long
    /// until the next one, without taking it: the caller waits and asks again. Slots are not
    /// booked ahead, so calls queued while the rate was low go as soon as it grows.
    /// `jitter` is a uniform random number in `[0, 1)`.
    pub fn reserve(&mut self, now: Instant, jitter: f64) -> Duration {
        if let Some(at) = self.next_at.filter(|t| *t > now) {
            return at - now;
        }
        if let Some(slow) = self.slow_start.as_mut() {
            if !slow.has_room(now) {
                return SLOW_START.poll;
            }
            slow.in_flight.push_back(now);
        }
        self.sends.push_back(now);
        forget_before(&mut self.sends, now, 0, |t| *t);
        if let Some(rate) = self.rate {
            let spread = 1.0 - JITTER + 2.0 * JITTER * jitter.clamp(0.0, 1.0);
            self.next_at = Some(now + Duration::from_secs_f64(spread / rate));
        }
        Duration::ZERO
    }

    /// Records a throttled answer at `now`, with the service's retry-after if it gave one.
    pub fn on_throttled(&mut self, now: Instant, retry_after: Option<Duration>) {
        self.record(now, true);
        self.last_throttle = Some(now);
        self.last_growth = Some(now);
        if let Some(wait) = retry_after {
            self.push_next(now + wait);
        }
        if self.slow_start.take().is_some() {
            // The first throttle ends slow start: pace at once at what was accepted so far.
            let accepted = self.history(now).filter(|(_, t)| !*t).count();
            let span = self.sends.front().map_or(0.0, |first| {
                now.saturating_duration_since(*first).as_secs_f64()
            });
            self.set_rate(now, MARGIN * accepted.max(1) as f64 / span.max(1.0));
            return;
        }
        let recent = self
            .last_decrease
            .is_some_and(|t| now.saturating_duration_since(t) < DECREASE_GAP);
        if recent {
            return;
        }
        let all = self.answers.len();
        let all_throttled = self.answers.iter().filter(|(_, t)| *t).count();
        if all >= SPARSE.answers && (all_throttled as f64) < SPARSE.share * all as f64 {
            return;
        }
        // Only answers since the last decrease judge the rate it set.
        let since = self.last_decrease;
        let judged = self
            .history(now)
            .filter(|(t, _)| since.is_none_or(|d| *t > d));
        let (answers, throttled) =
            judged.fold((0, 0), |(a, th), (_, t)| (a + 1, th + usize::from(*t)));
        let share = throttled as f64 / answers.max(1) as f64;
        let lowered = match self.rate {
            // From unpaced: wait for a few answers (a burst's come together), then drop to
            // what was accepted.
            None if answers < FEWEST_JUDGED && throttled < FIRST_JUDGED_THROTTLES => return,
            None => self.send_rate(now) * (MARGIN * (1.0 - share)).clamp(DEEPEST_CUT, MARGIN),
            // Paced: a fixed share per throttle. A process sending more meets more throttles
            // and so slows more, which is what makes processes sharing a limit converge on
            // equal shares (a cut per second whatever the rate would starve the slow ones).
            Some(r) => r * LATER_CUT,
        };
        self.set_rate(now, lowered);
    }

    /// Paces at `rate` (at least [`MIN_RATE`]) from `now`: a decrease.
    fn set_rate(&mut self, now: Instant, rate: f64) {
        let lowered = rate.max(MIN_RATE);
        self.rate = Some(lowered);
        self.push_next(now + Duration::from_secs_f64(1.0 / lowered));
        self.last_decrease = Some(now);
    }

    /// Records a successful answer at `now`: the window or the rate grows.
    pub fn on_success(&mut self, now: Instant) {
        self.record(now, false);
        if let Some(slow) = self.slow_start.as_mut() {
            slow.answered();
            slow.window += 1;
            if slow.window >= SLOW_START.end {
                self.slow_start = None;
            }
            return;
        }
        let Some(rate) = self.rate else { return };
        let calm_for = self
            .last_throttle
            .map_or(CALM_AFTER, |t| now.saturating_duration_since(t));
        // Growth counts the time since the last answer, up to two intervals at the rate (more
        // would be time the action was idle rather than succeeding).
        let dt = self
            .last_growth
            .map_or(0.0, |t| now.saturating_duration_since(t).as_secs_f64())
            .min((2.0 / rate).max(1.0));
        self.last_growth = Some(now);
        let doublings = (calm_for.as_secs_f64() / GROWTH.doubling.as_secs_f64()).floor();
        let probe = (GROWTH.probe * 2f64.powf(doublings.min(16.0))).min(GROWTH.most);
        let grown = rate * (1.0 + probe * dt) + GROWTH.additive * dt;
        if calm_for >= CALM_AFTER || grown > UNPACED_ABOVE {
            self.rate = None;
        } else {
            self.rate = Some(grown);
        }
    }

    fn record(&mut self, now: Instant, throttled: bool) {
        self.answers.push_back((now, throttled));
        forget_before(&mut self.answers, now, SPARSE.answers, |(t, _)| *t);
    }

    /// The answers of the last [`HISTORY`].
    fn history(&self, now: Instant) -> impl Iterator<Item = &(Instant, bool)> {
        self.answers
            .iter()
            .filter(move |(t, _)| now.saturating_duration_since(*t) <= HISTORY)
    }

    fn push_next(&mut self, at: Instant) {
        if self.next_at.is_none_or(|t| t < at) {
            self.next_at = Some(at);
        }
    }

    /// What the process has been sending over the last [`HISTORY`] (counted over at least a
    /// second), never below [`MIN_RATE`] doubled.
    fn send_rate(&self, now: Instant) -> f64 {
        let Some(first) = self.sends.front() else {
            return 2.0 * MIN_RATE;
        };
        let span = now.saturating_duration_since(*first).as_secs_f64().max(1.0);
        (self.sends.len() as f64 / span).max(2.0 * MIN_RATE)
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

    /// A call of `key` ended neither in success nor throttled (a transport error, another API
    /// error): its place in the slow start's window is free again, nothing else changes.
    pub fn on_other_outcome(&self, key: &str) {
        self.with(key, |p| {
            if let Some(slow) = p.slow_start.as_mut() {
                slow.answered();
            }
        });
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

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// A pacer whose slow start is over, unthrottled: for the rate's own logic.
    fn past_slow_start() -> Pacer {
        let mut p = Pacer::new();
        p.slow_start = None;
        p
    }

    /// A pacer past slow start that has just sent ten requests at once.
    fn ten_sent_at_once() -> (Instant, Pacer) {
        let t0 = Instant::now();
        let mut p = past_slow_start();
        for _ in 0..10 {
            p.reserve(t0, 0.5);
        }
        (t0, p)
    }

    /// Throttles enough to judge at `t`, all throttled.
    fn burst(p: &mut Pacer, t: Instant) {
        for _ in 0..FIRST_JUDGED_THROTTLES {
            p.on_throttled(t, None);
        }
    }

    /// An action never throttled is not paced: once its first answers are back, every
    /// reservation is immediate, however many are in flight.
    #[test]
    fn unthrottled_is_unpaced() {
        let t0 = Instant::now();
        let mut p = Pacer::new();
        for i in 0..SLOW_START.end {
            assert_eq!(p.reserve(t0 + secs(i as f64 * 0.01), 0.5), Duration::ZERO);
            p.on_success(t0 + secs(i as f64 * 0.01 + 0.005));
        }
        for i in 0..100 {
            assert_eq!(
                p.reserve(t0 + secs(1.0 + f64::from(i) * 0.001), 0.5),
                Duration::ZERO
            );
        }
        assert_eq!(p.rate(), None);
    }

    /// Slow start: at first two requests may be in flight, each success lets one more go, a
    /// request never answered stops counting after SLOW_START.in_flight_for, and the first throttle paces
    /// the action at what was accepted so far.
    #[test]
    fn slow_start_opens_with_answers() {
        let t0 = Instant::now();
        let mut p = Pacer::new();
        assert_eq!(p.reserve(t0, 0.5), Duration::ZERO);
        assert_eq!(p.reserve(t0, 0.5), Duration::ZERO);
        assert_eq!(
            p.reserve(t0, 0.5),
            SLOW_START.poll,
            "a window of {}",
            SLOW_START.window
        );
        p.on_success(t0 + secs(0.1));
        let sent = (0..4)
            .take_while(|_| p.reserve(t0 + secs(0.1), 0.5).is_zero())
            .count();
        assert_eq!(sent, 2, "one answer back, one more in the window");
        let later = t0 + SLOW_START.in_flight_for + secs(0.2);
        assert_eq!(p.reserve(later, 0.5), Duration::ZERO, "lost answers expire");
        p.on_success(later);
        p.on_throttled(later + secs(0.1), None);
        let rate = p.rate().expect("paced from the first throttle");
        // Two accepted in the last HISTORY, over the span since the first remembered send.
        assert!(rate > MIN_RATE && rate <= 2.0 * MARGIN, "{rate}");
        assert!(p.reserve(later + secs(0.1), 0.5) > Duration::ZERO);
    }

    /// The first throttle sets the rate to what was accepted of what was sent, less the margin;
    /// slots are then spaced by the rate.
    #[test]
    fn first_throttle_lands_on_the_accepted_rate() {
        let t0 = Instant::now();
        let mut p = past_slow_start();
        // 20 sends in the first second: 10 accepted, then the 11th answer throttled.
        for i in 0..20 {
            p.reserve(t0 + secs(f64::from(i) * 0.05), 0.5);
        }
        for i in 0..9 {
            p.on_success(t0 + secs(0.5 + f64::from(i) * 0.05));
        }
        p.on_throttled(t0 + secs(1.0), None);
        // 20/s sent, 1 of 10 answers throttled: 20 x 0.9 x 0.9.
        let rate = p.rate().expect("paced");
        assert!((rate - 16.2).abs() < 1e-6, "{rate}");
        let now = t0 + secs(2.0);
        let w1 = p.reserve(now, 0.5);
        let w2 = p.reserve(now, 0.5);
        assert!(
            (w2.as_secs_f64() - w1.as_secs_f64() - 1.0 / rate).abs() < 1e-6,
            "{w1:?} {w2:?}"
        );
    }

    /// A process whose burst was nearly all throttled drops at once to a small share of it.
    #[test]
    fn a_throttled_burst_drops_to_its_share() {
        let (t0, mut p) = ten_sent_at_once();
        for _ in 0..FEWEST_JUDGED {
            p.on_throttled(t0 + secs(0.05), None);
        }
        let rate = p.rate().expect("paced");
        assert!(rate <= 10.0 * DEEPEST_CUT + 1e-9, "{rate}");
    }

    /// Throttles within the gap count once; each later one cuts the rate to the same share of
    /// itself, whatever the rate; never below the floor.
    #[test]
    fn decrease_is_multiplicative_and_bounded() {
        let (t0, mut p) = ten_sent_at_once();
        burst(&mut p, t0);
        let first = p.rate().expect("paced");
        assert!((first - 10.0 * DEEPEST_CUT).abs() < 1e-9, "{first}");
        p.on_throttled(t0 + DECREASE_GAP / 2, None);
        assert_eq!(p.rate(), Some(first), "in-flight throttles count once");
        p.on_throttled(t0 + DECREASE_GAP * 2, None);
        assert_eq!(
            p.rate(),
            Some(first * LATER_CUT),
            "a later throttle: one cut"
        );
        p.rate = Some(20.0);
        p.on_throttled(t0 + DECREASE_GAP * 4, None);
        assert_eq!(
            p.rate(),
            Some(20.0 * LATER_CUT),
            "the same share at any rate"
        );
        let mut t = t0 + secs(5.0);
        for _ in 0..40 {
            t += DECREASE_GAP * 2;
            p.on_throttled(t, None);
        }
        assert_eq!(p.rate(), Some(MIN_RATE));
    }

    /// Success grows the rate by a share of itself per second, faster the longer nothing is
    /// throttled; calm unpaces.
    #[test]
    fn growth_is_relative_and_speeds_up() {
        let t0 = Instant::now();
        let mut p = past_slow_start();
        burst(&mut p, t0);
        p.rate = Some(10.0);
        let mut t = t0;
        let mut at = |p: &mut Pacer, until: f64| {
            while t < t0 + secs(until) {
                t += secs(0.1);
                p.on_success(t);
            }
            p.rate().expect("still paced")
        };
        let r1 = at(&mut p, 1.0);
        let expected = 10.0 * (1.0 + GROWTH.probe) + GROWTH.additive;
        assert!((r1 - expected).abs() < 0.05, "first second: {r1}");
        let r5 = at(&mut p, 5.0);
        let r10 = at(&mut p, 10.0);
        assert!(r10 / r5 > r5 / 10.0, "speeding up: {r5} then {r10}");
        p.on_success(t0 + CALM_AFTER + secs(1.0));
        assert_eq!(p.rate(), None, "calm for a minute: unpaced");
    }

    /// A sparse throttle among many successes causes no decrease; dense ones do; too few
    /// answers cannot tell.
    #[test]
    fn only_dense_throttles_decrease() {
        let t0 = Instant::now();
        let mut p = past_slow_start();
        for i in 0..SPARSE.answers - 1 {
            p.on_success(t0 + secs(i as f64 * 0.01));
        }
        p.on_throttled(t0 + secs(1.5), None);
        assert_eq!(p.rate(), None, "one throttle in {} answers", SPARSE.answers);
        let dense = (SPARSE.share * SPARSE.answers as f64).ceil() as usize;
        for _ in 0..dense {
            p.on_throttled(t0 + secs(1.6), None);
        }
        assert!(p.rate().is_some(), "{} throttles", dense + 1);

        let mut few = past_slow_start();
        for i in 0..SPARSE.answers / 2 {
            few.on_success(t0 + secs(i as f64 * 0.01));
        }
        burst(&mut few, t0 + secs(1.0));
        assert!(few.rate().is_some(), "too few answers to call it sparse");
    }

    /// Sparseness is judged over the last SPARSE.answers answers, not seconds: a process
    /// already paced down to two requests a second, whose last 100 answers span 50 s, is not
    /// cut again by one throttle among them; answers older than SPARSE.within are forgotten.
    #[test]
    fn sparse_is_judged_at_a_low_rate_too() {
        let t0 = Instant::now();
        let paced_with_successes = |spacing: f64| {
            let mut p = past_slow_start();
            p.set_rate(t0, 2.0);
            for i in 0..SPARSE.answers - 1 {
                p.record(t0 + secs((i + 1) as f64 * spacing), false);
            }
            p
        };
        let mut p = paced_with_successes(0.5);
        p.on_throttled(t0 + secs(SPARSE.answers as f64 * 0.5), None);
        assert_eq!(p.rate(), Some(2.0), "one throttle in 100 answers over 50 s");

        let mut slow = paced_with_successes(1.0);
        slow.on_throttled(t0 + secs(SPARSE.answers as f64), None);
        assert_eq!(
            slow.rate(),
            Some(2.0 * LATER_CUT),
            "answers older than SPARSE.within do not count"
        );
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

    /// A call that ends in neither success nor a throttle frees its place in the window at
    /// once, and paces nothing.
    #[test]
    fn other_outcomes_free_the_window() {
        let t0 = Instant::now();
        let pacers = Pacers::new(true);
        for _ in 0..SLOW_START.window {
            assert!(pacers.reserve("k", t0, 0.5).is_zero());
        }
        assert_eq!(pacers.reserve("k", t0, 0.5), SLOW_START.poll);
        pacers.on_other_outcome("k");
        assert!(pacers.reserve("k", t0, 0.5).is_zero());
        assert_eq!(pacers.rate("k"), None, "not paced");
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
        for _ in 0..FIRST_JUDGED_THROTTLES {
            on.on_throttled("k", t0, Some(secs(5.0)));
        }
        assert!(on.reserve("k", t0, 0.5) >= secs(5.0));
        assert!(on.rate("k").is_some());
        assert_eq!(on.rate("other"), None, "actions are paced apart");
    }

    /// A simulated run: `processes` provider processes, each with `callers` concurrent callers
    /// (Terraform's parallelism) and `work` calls of one action in all (unbounded if `None`),
    /// starting within `stagger` seconds of each other, against a service answering in
    /// `latency` seconds. A throttled call backs off as the client does (full jitter, 200 ms
    /// doubling to 5 s). Pure: the pacers get simulated time.
    struct Sim {
        processes: usize,
        callers: usize,
        work: Option<u32>,
        seconds: f64,
        stagger: f64,
        latency: f64,
        paced: bool,
    }

    /// What a simulated run measured.
    #[derive(Debug)]
    struct Run {
        sent: u32,
        throttled: u32,
        /// When the last call succeeded (all work done), if it was.
        done_at: Option<f64>,
        /// Accepted requests per second over the second half.
        accepted_rate: f64,
        /// Throttled share over the second half.
        late_share: f64,
        /// Per second: accepted and throttled.
        per_second: Vec<(u32, u32)>,
        /// Per process: when its last call succeeded.
        finished: Vec<f64>,
    }

    impl Run {
        fn share(&self) -> f64 {
            f64::from(self.throttled) / f64::from(self.sent.max(1))
        }
    }

    impl Sim {
        /// `processes` with endless work for 4 minutes, 10 callers each, started together,
        /// against a service answering in 50 ms.
        fn endless(processes: usize, paced: bool) -> Sim {
            Sim {
                processes,
                callers: 10,
                work: None,
                seconds: 240.0,
                stagger: 0.0,
                latency: 0.05,
                paced,
            }
        }

        fn run(&self, mut throttle: impl FnMut(f64, &mut u64) -> bool) -> Run {
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
            let ns = |t: f64| (t * 1e9) as u64;
            let pacers: Vec<Pacers> = (0..self.processes)
                .map(|_| Pacers::new(self.paced))
                .collect();
            let mut left: Vec<u32> = vec![self.work.unwrap_or(u32::MAX); self.processes];
            // Per caller: retries of its current call.
            let mut retries = vec![0u32; self.processes * self.callers];
            let mut queue = BinaryHeap::new();
            for p in 0..self.processes {
                let start = next(&mut rng) * self.stagger;
                for c in 0..self.callers {
                    let caller = p * self.callers + c;
                    queue.push(Reverse((ns(start + c as f64 * 1e-4), Ev::Ready, caller)));
                }
            }
            let mut in_hand = vec![false; self.processes * self.callers];
            let mut finished = vec![0.0f64; self.processes];
            let (mut sent, mut throttled, mut done, mut done_at) = (0u32, 0u32, 0u32, None);
            let mut per_second: Vec<(u32, u32)> = Vec::new();
            let total = self.work.map(|w| w * self.processes as u32);
            let (mut late_ok, mut late_sent, mut late_throttled) = (0u32, 0u32, 0u32);
            while let Some(Reverse((t_ns, ev, caller))) = queue.pop() {
                let t = t_ns as f64 / 1e9;
                if t > self.seconds {
                    break;
                }
                let p = caller / self.callers;
                match ev {
                    Ev::Ready => {
                        if !in_hand[caller] {
                            if left[p] == 0 {
                                continue;
                            }
                            left[p] -= 1;
                            in_hand[caller] = true;
                        }
                        let wait = pacers[p].reserve("a", at(t), next(&mut rng));
                        let (ev, wait) = if wait.is_zero() {
                            (Ev::Send, 0.0)
                        } else {
                            // Simulated time is in whole nanoseconds: never ask again at once.
                            (Ev::Ready, wait.as_secs_f64().max(1e-6))
                        };
                        queue.push(Reverse((ns(t + wait), ev, caller)));
                    }
                    Ev::Send => {
                        let refused = throttle(t, &mut rng);
                        sent += 1;
                        throttled += u32::from(refused);
                        let second = t as usize;
                        if per_second.len() <= second {
                            per_second.resize(second + 1, (0, 0));
                        }
                        per_second[second].0 += u32::from(!refused);
                        per_second[second].1 += u32::from(refused);
                        if t > self.seconds / 2.0 {
                            late_sent += 1;
                            late_throttled += u32::from(refused);
                            late_ok += u32::from(!refused);
                        }
                        let back = ns(t + self.latency);
                        queue.push(Reverse((back, Ev::Answer(!refused), caller)));
                    }
                    Ev::Answer(ok) => {
                        let mut ready = t;
                        if ok {
                            pacers[p].on_success("a", at(t));
                            in_hand[caller] = false;
                            retries[caller] = 0;
                            done += 1;
                            finished[p] = t;
                            if Some(done) == total {
                                done_at = Some(t);
                                break;
                            }
                        } else {
                            pacers[p].on_throttled("a", at(t), None);
                            let ceiling = (0.2 * 2f64.powi(retries[caller] as i32)).min(5.0);
                            retries[caller] += 1;
                            ready += next(&mut rng) * ceiling;
                        }
                        queue.push(Reverse((ns(ready), Ev::Ready, caller)));
                    }
                }
            }
            let late = self.seconds / 2.0;
            Run {
                sent,
                throttled,
                done_at,
                accepted_rate: f64::from(late_ok) / late,
                late_share: f64::from(late_throttled) / f64::from(late_sent.max(1)),
                finished,
                per_second: if self.work.is_some() {
                    per_second
                } else {
                    Vec::new()
                },
            }
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

    /// The fleet of the benchmark: 8 processes x 25 calls, 10 at a time each, started within a
    /// second of each other (Terraform's start-up spread), against one 10/s limit. Paced: the
    /// slow start keeps the first burst to a few throttles per process, all done within 1.3x
    /// of the rate bound (20 s), the processes finish close together; unpaced: a storm.
    #[test]
    fn a_fleet_shares_a_limit_without_a_storm() {
        let sim = |paced| Sim {
            work: Some(25),
            seconds: 300.0,
            stagger: 1.0,
            latency: 0.01,
            ..Sim::endless(8, paced)
        };
        let on = sim(true).run(bucket(10.0));
        let off = sim(false).run(bucket(10.0));
        eprintln!(
            "paced: {on:?} share {:.3}; unpaced: {off:?} share {:.3}",
            on.share(),
            off.share()
        );
        let wall = on.done_at.expect("all done");
        assert!(wall < 1.3 * 20.0, "{wall}");
        let burst = on.per_second[0].1;
        assert!(burst <= 4 * 8, "first second: {burst} throttles");
        assert!(
            burst * 5 < off.per_second[0].1,
            "{burst} vs {:?}",
            off.per_second[0]
        );
        assert!(on.share() < 0.25, "{}", on.share());
        assert!(
            on.share() < 0.3 * off.share(),
            "{} vs {}",
            on.share(),
            off.share()
        );
        // The first process to start has the bucket to itself for a while; the rest share. A
        // cut once a second whatever the rate finished them between 4 and 28 s.
        let mut finished = on.finished.clone();
        finished.sort_by(f64::total_cmp);
        assert!(finished[7] - finished[1] < 12.0, "{finished:?}");
    }

    /// Eight processes with endless work against one 10/s limit: paced, the limit is used and
    /// a fraction of the answers are throttled (each process probes for more on its own);
    /// unpaced, nearly all are.
    #[test]
    fn shared_limit_is_shared_without_a_storm() {
        let sim = |paced| Sim::endless(8, paced);
        let paced = sim(true).run(bucket(10.0));
        let unpaced = sim(false).run(bucket(10.0));
        eprintln!("paced: {paced:?}; unpaced: {unpaced:?}");
        assert!(paced.late_share < 0.25, "{}", paced.late_share);
        assert!(paced.late_share < 0.3 * unpaced.late_share);
        assert!(paced.accepted_rate > 9.0, "{}", paced.accepted_rate);
        assert!(paced.sent * 4 < unpaced.sent, "far fewer requests");
    }

    /// One process against a limit well below what it could send: it settles near the limit.
    #[test]
    fn one_process_settles_near_its_limit() {
        let run = Sim::endless(1, true).run(bucket(50.0));
        eprintln!("{run:?}");
        assert!(run.accepted_rate > 42.0, "{}", run.accepted_rate);
        assert!(run.late_share < 0.1, "{}", run.late_share);
    }

    /// Throttles that are not about rate (one answer in twenty, whatever the rate) do not slow
    /// a busy process much: at 10 callers with 50 ms answers (200 requests a second), nor at a
    /// workspace's pace with 150 ms answers (60 a second), where two seconds hold too few
    /// answers to judge and the last SPARSE.answers do. The median of nine random sequences:
    /// one sequence may still meet early throttles close together and stay slow for a while.
    /// (Above SPARSE.share, throttles that are not about rate cannot be told from a limit
    /// shared with busier processes, and the rate is cut: at the workspace's pace, one in ten
    /// gives about 2/s instead of 57/s, one in five about 1/s instead of 46/s.)
    #[test]
    fn sparse_random_throttles_do_not_slow_much() {
        let median_accepted = |sim: &Sim| {
            let mut rates: Vec<f64> = (1..=9u64)
                .map(|seed| {
                    let mut rng = crate::rng::Rng::new(seed);
                    sim.run(|_: f64, _: &mut u64| rng.below(20) == 0)
                        .accepted_rate
                })
                .collect();
            rates.sort_by(f64::total_cmp);
            rates[rates.len() / 2]
        };
        let busy = Sim::endless(1, true);
        let workspace = Sim {
            latency: 0.15,
            seconds: 120.0,
            ..Sim::endless(1, true)
        };
        for (name, sim, kept) in [("busy", busy, 0.9), ("workspace", workspace, 0.5)] {
            let paced = median_accepted(&sim);
            let unpaced = median_accepted(&Sim {
                paced: false,
                ..sim
            });
            eprintln!("random 5%, {name}: accepted {paced:.1}/s paced, {unpaced:.1}/s unpaced");
            assert!(paced > kept * unpaced, "{name}: {paced} vs {unpaced}");
        }
    }
}
