//! The emulator's one bounded, expiring table (ARCHITECTURE.md, "Invariants": no
//! unbounded state). Sessions, remember-me tokens, Crowd SSO sessions, the IdP's
//! access and refresh tokens, native OAuth codes and tokens, the plugin's
//! introspection cache, rate-limit buckets and the plugin's rate windows are each
//! a [`BoundedStore`] with its own capacity, expiry and eviction.
//!
//! - **Capacity**: at most `capacity` entries. Inserting a new key into a full
//!   store first drops the expired entries, then evicts by the store's
//!   [`Eviction`] until there is room. A store of capacity 0 keeps nothing (every
//!   key is unknown at once).
//! - **Expiry** on the mock's clock, never the wall clock: an entry may carry a
//!   deadline (an absolute TTL, e.g. a token's `exp`), and the store may have an
//!   idle timeout (gone that long after its last use). An entry is dead from the
//!   first moment `now >= min(deadline, last use + idle)`; a dead entry is never
//!   returned and is dropped when met.
//! - **Time is passed in** (`now`), as a [`Moment`]: an `Instant` from
//!   `Clock::now`, or whole Unix seconds from `Clock::unix_seconds` for stores
//!   whose deadlines are token `exp` claims. The store never reads a clock, so
//!   its behaviour is a function of its calls.
//!
//! A load test with Basic opens a session per request, so that store stays full;
//! scanning every entry for dead ones on each insert once took over half the
//! mock's CPU under wrk. The store keeps a lower bound on the earliest expiry and
//! scans only once that moment has come; eviction order is a `BTreeMap` by
//! sequence number, so evicting is `O(log n)`.

use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// A point on the mock's clock.
pub trait Moment: Copy + Ord {
    /// `self + by`; `None` past what the type holds (a moment that never comes).
    fn after(self, by: Duration) -> Option<Self>;
}

impl Moment for Instant {
    fn after(self, by: Duration) -> Option<Self> {
        self.checked_add(by)
    }
}

/// Whole Unix seconds on the mock's clock, the unit of a token's `exp`.
impl Moment for u64 {
    fn after(self, by: Duration) -> Option<Self> {
        self.checked_add(by.as_secs())
    }
}

/// Which live entry a full store gives up for a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eviction {
    /// The one inserted first: using an entry does not protect it (sessions and
    /// tokens, so a flood of new logins cannot pin old ones).
    Oldest,
    /// The one used least recently (rate-limit buckets and windows).
    LeastRecentlyUsed,
}

#[derive(Debug)]
struct Slot<V, T> {
    value: V,
    /// Its place in the eviction order.
    seq: u64,
    deadline: Option<T>,
    last_used: T,
}

/// Key → value, bounded and expiring (see the module docs).
pub struct BoundedStore<K, V, T = Instant> {
    capacity: usize,
    idle: Option<Duration>,
    entries: HashMap<K, Slot<V, T>>,
    /// Insertion order for [`Eviction::Oldest`], last use for
    /// [`Eviction::LeastRecentlyUsed`].
    order: Order<K>,
    /// No entry expires before this; `None` when none can expire at all. Only
    /// ever lowered, except by a full scan, so skipping the scan before it is safe.
    earliest_expiry: Option<T>,
}

/// Only the shape: keys are session ids and token digests, values user names.
impl<K, V, T> std::fmt::Debug for BoundedStore<K, V, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundedStore")
            .field("len", &self.entries.len())
            .field("capacity", &self.capacity)
            .field("eviction", &self.order.eviction)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone, V, T: Moment> BoundedStore<K, V, T> {
    /// An empty store of at most `capacity` entries, without an idle timeout.
    pub fn new(capacity: usize, eviction: Eviction) -> Self {
        Self {
            capacity,
            idle: None,
            entries: HashMap::new(),
            order: Order::new(eviction),
            earliest_expiry: None,
        }
    }

    /// Entries die `idle` after their last use (insert, [`get`](Self::get) or
    /// [`get_or_insert_with`](Self::get_or_insert_with)), whatever their deadline.
    pub fn with_idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = Some(idle);
        self
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries held, dead ones not yet dropped included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Stores `value` under `key` (replacing what was there), dead at `deadline`
    /// if one is given. A full store makes room first (module docs); a store of
    /// capacity 0 keeps nothing.
    pub fn insert(&mut self, key: K, value: V, deadline: Option<T>, now: T) {
        if self.capacity == 0 {
            return;
        }
        if self.remove(&key).is_none() {
            self.make_room(self.capacity, now);
        }
        self.put(key, value, deadline, now);
    }

    /// The live value of `key`, without counting as a use; a dead entry is dropped.
    pub fn peek<Q>(&mut self, key: &Q, now: T) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.drop_if_dead(key, now);
        self.entries.get(key).map(|slot| &slot.value)
    }

    /// The live value of `key`, counted as a use at `now` (the idle time
    /// restarts; a least-recently-used store moves it to the back). A dead entry
    /// is dropped.
    pub fn get<Q>(&mut self, key: &Q, now: T) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.drop_if_dead(key, now);
        let slot = self.entries.get_mut(key)?;
        self.order.used(slot, now);
        lower(
            &mut self.earliest_expiry,
            expires_at(self.idle, slot.deadline, slot.last_used),
        );
        Some(&mut slot.value)
    }

    /// The live value of `key` counted as a use at `now`, or `make()` stored in
    /// its place (after making room). Even a store of capacity 0 keeps this one
    /// entry until the next call, as the caller needs something to count in.
    pub fn get_or_insert_with(&mut self, key: K, now: T, make: impl FnOnce() -> V) -> &mut V {
        self.drop_if_dead(&key, now);
        if !self.entries.contains_key(&key) {
            self.make_room(self.capacity.max(1), now);
        }
        let slot = match self.entries.entry(key) {
            Entry::Occupied(occupied) => {
                let slot = occupied.into_mut();
                self.order.used(slot, now);
                slot
            }
            Entry::Vacant(vacant) => {
                let seq = self.order.push(vacant.key().clone());
                vacant.insert(Slot {
                    value: make(),
                    seq,
                    deadline: None,
                    last_used: now,
                })
            }
        };
        lower(
            &mut self.earliest_expiry,
            expires_at(self.idle, slot.deadline, slot.last_used),
        );
        &mut slot.value
    }

    /// Removes `key` and returns its value if it was live (single-use codes).
    pub fn take<Q>(&mut self, key: &Q, now: T) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = self.remove_slot(key)?;
        (!is_dead(self.idle, &slot, now)).then_some(slot.value)
    }

    /// Removes `key`, live or dead; returns what it held.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.remove_slot(key).map(|slot| slot.value)
    }

    /// When `key`'s entry dies if not used again; `None` for no entry or one that
    /// never expires.
    pub fn expires_at<Q>(&self, key: &Q) -> Option<T>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = self.entries.get(key)?;
        expires_at(self.idle, slot.deadline, slot.last_used)
    }

    /// Keeps only the entries whose value passes `keep` (a user's sessions, a
    /// grant's tokens).
    pub fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        let order = &mut self.order;
        self.entries.retain(|_, slot| {
            let kept = keep(&slot.value);
            if !kept {
                order.remove(slot.seq);
            }
            kept
        });
    }

    /// Forgets everything (`/__tollgate/reset`).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.earliest_expiry = None;
    }

    fn put(&mut self, key: K, value: V, deadline: Option<T>, now: T) {
        lower(
            &mut self.earliest_expiry,
            expires_at(self.idle, deadline, now),
        );
        if let Entry::Vacant(vacant) = self.entries.entry(key) {
            let seq = self.order.push(vacant.key().clone());
            vacant.insert(Slot {
                value,
                seq,
                deadline,
                last_used: now,
            });
        }
    }

    fn remove_slot<Q>(&mut self, key: &Q) -> Option<Slot<V, T>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = self.entries.remove(key)?;
        self.order.remove(slot.seq);
        Some(slot)
    }

    fn drop_if_dead<Q>(&mut self, key: &Q, now: T)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self
            .entries
            .get(key)
            .is_some_and(|slot| is_dead(self.idle, slot, now))
        {
            self.remove_slot(key);
        }
    }

    /// Brings the store below `limit` entries: the dead go first, then the
    /// first in eviction order.
    fn make_room(&mut self, limit: usize, now: T) {
        if self.entries.len() >= limit {
            self.purge_dead(now);
        }
        while self.entries.len() >= limit {
            let Some(first) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&first);
        }
    }

    fn purge_dead(&mut self, now: T) {
        if self.earliest_expiry.is_none_or(|at| now < at) {
            return;
        }
        let idle = self.idle;
        let order = &mut self.order;
        self.entries.retain(|_, slot| {
            let dead = is_dead(idle, slot, now);
            if dead {
                order.remove(slot.seq);
            }
            !dead
        });
        self.earliest_expiry = self
            .entries
            .values()
            .filter_map(|slot| expires_at(idle, slot.deadline, slot.last_used))
            .min();
    }
}

/// The eviction order: keys by sequence number, the first to go first.
#[derive(Debug)]
struct Order<K> {
    eviction: Eviction,
    by_seq: BTreeMap<u64, K>,
    next_seq: u64,
}

impl<K> Order<K> {
    fn new(eviction: Eviction) -> Self {
        Self {
            eviction,
            by_seq: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Appends `key` (the last to go); returns its sequence number.
    fn push(&mut self, key: K) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_seq.insert(seq, key);
        seq
    }

    /// Records a use of `slot` at `now`: a least-recently-used order moves it
    /// to the back.
    fn used<V, T>(&mut self, slot: &mut Slot<V, T>, now: T) {
        slot.last_used = now;
        if self.eviction == Eviction::LeastRecentlyUsed {
            if let Some(key) = self.by_seq.remove(&slot.seq) {
                slot.seq = self.push(key);
            }
        }
    }

    fn remove(&mut self, seq: u64) {
        self.by_seq.remove(&seq);
    }

    fn pop_first(&mut self) -> Option<K> {
        self.by_seq.pop_first().map(|(_, key)| key)
    }

    fn clear(&mut self) {
        self.by_seq.clear();
    }
}

/// The first moment an entry is dead: its deadline or its idle end, whichever
/// comes first; `None` if neither ever comes.
fn expires_at<T: Moment>(idle: Option<Duration>, deadline: Option<T>, last_used: T) -> Option<T> {
    let idle_end = idle.and_then(|idle| last_used.after(idle));
    match (deadline, idle_end) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn is_dead<V, T: Moment>(idle: Option<Duration>, slot: &Slot<V, T>, now: T) -> bool {
    expires_at(idle, slot.deadline, slot.last_used).is_some_and(|at| now >= at)
}

fn lower<T: Moment>(bound: &mut Option<T>, expires: Option<T>) {
    if let Some(at) = expires {
        *bound = Some(bound.map_or(at, |b| b.min(at)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn idle_entries_die_unless_used_and_deadlines_whatever_the_use() {
        let t0 = Instant::now();
        let at = |s| t0 + secs(s);
        let mut idle = BoundedStore::new(10, Eviction::Oldest).with_idle_timeout(secs(60));
        idle.insert("a", 1, None, t0);
        assert_eq!(idle.get("a", at(59)).copied(), Some(1));
        assert_eq!(idle.peek("a", at(118)), Some(&1));
        assert_eq!(idle.peek("a", at(119)), None, "peeking is no use");
        assert!(idle.is_empty());
        let mut fixed: BoundedStore<&str, u32> = BoundedStore::new(10, Eviction::Oldest);
        fixed.insert("a", 1, Some(at(60)), t0);
        assert!(fixed.get("a", at(50)).is_some());
        assert_eq!(fixed.expires_at("a"), Some(at(60)));
        assert!(fixed.get("a", at(60)).is_none());
        // Both: whichever comes first.
        let mut both = BoundedStore::new(10, Eviction::Oldest).with_idle_timeout(secs(60));
        both.insert("a", 1, Some(at(100)), t0);
        assert!(both.get("a", at(50)).is_some());
        assert_eq!(both.expires_at("a"), Some(at(100)));
        assert!(both.get("a", at(100)).is_none());
    }

    #[test]
    fn a_full_store_drops_the_dead_before_the_oldest_live_entry() {
        let t0 = Instant::now();
        let at = |s| t0 + secs(s);
        let mut store = BoundedStore::new(2, Eviction::Oldest).with_idle_timeout(secs(60));
        store.insert("a", (), None, t0);
        store.insert("b", (), None, at(10));
        // Used at 50, `a` outlives `b`, which was made later but left idle.
        assert!(store.get("a", at(50)).is_some());
        store.insert("c", (), None, at(75));
        assert!(store.peek("b", at(75)).is_none());
        assert!(store.peek("a", at(75)).is_some());
        assert!(store.get("c", at(100)).is_some());
        // The bound after that scan must still see `a` die (at 110).
        store.insert("d", (), None, at(136));
        assert!(store.peek("a", at(136)).is_none());
        assert!(store.peek("c", at(136)).is_some());
        assert!(store.peek("d", at(136)).is_some());
    }

    #[test]
    fn eviction_takes_the_oldest_or_the_least_recently_used() {
        let t0 = Instant::now();
        for (eviction, survivor) in [(Eviction::Oldest, "b"), (Eviction::LeastRecentlyUsed, "a")] {
            let mut store = BoundedStore::new(2, eviction);
            store.insert("a", (), None, t0);
            store.insert("b", (), None, t0);
            assert!(store.get("a", t0).is_some());
            store.insert("c", (), None, t0);
            assert_eq!(store.len(), 2);
            assert!(store.peek(survivor, t0).is_some(), "{eviction:?}");
            assert!(store.peek("c", t0).is_some());
        }
    }

    #[test]
    fn take_is_single_use_and_refuses_the_dead() {
        let mut store: BoundedStore<&str, u32, u64> = BoundedStore::new(4, Eviction::Oldest);
        store.insert("code", 7, Some(10), 0);
        assert_eq!(store.take("code", 9), Some(7));
        assert_eq!(store.take("code", 9), None);
        store.insert("late", 8, Some(10), 0);
        assert_eq!(store.take("late", 10), None);
        assert!(store.is_empty());
    }

    #[test]
    fn capacity_zero_keeps_nothing_but_counts_one_at_a_time() {
        let mut store: BoundedStore<&str, u32, u64> = BoundedStore::new(0, Eviction::Oldest);
        store.insert("a", 1, None, 0);
        assert!(store.is_empty());
        *store.get_or_insert_with("b", 0, || 1) += 1;
        assert_eq!(store.peek("b", 0), Some(&2));
        store.get_or_insert_with("c", 0, || 1);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn retain_remove_and_clear() {
        let mut store: BoundedStore<u8, u8, u64> = BoundedStore::new(10, Eviction::Oldest);
        for k in 0..6 {
            store.insert(k, k % 2, None, 0);
        }
        store.retain(|v| *v == 0);
        assert_eq!(store.len(), 3);
        assert_eq!(store.remove(&2), Some(0));
        assert_eq!(store.remove(&2), None);
        // The order forgot what retain and remove dropped: evicting goes on in order.
        // Two left and nine more: the first of them to go is the oldest, 0.
        for k in 10..19 {
            store.insert(k, 0, None, 0);
        }
        assert_eq!(store.len(), 10);
        assert!(store.peek(&0, 0).is_none() && store.peek(&4, 0).is_some());
        store.clear();
        assert!(store.is_empty());
        assert!(format!("{store:?}").contains("len: 0"));
    }

    /// One operation of the model test; keys and values are small, time whole seconds.
    #[derive(Clone, Debug)]
    enum Op {
        Insert(u8, u8, Option<u64>),
        Peek(u8),
        Get(u8),
        GetOrInsert(u8, u8),
        Take(u8),
        Remove(u8),
        RetainEven,
        Advance(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        let key = 0u8..6;
        prop_oneof![
            (key.clone(), any::<u8>(), proptest::option::of(0u64..20))
                .prop_map(|(k, v, d)| Op::Insert(k, v, d)),
            key.clone().prop_map(Op::Peek),
            key.clone().prop_map(Op::Get),
            (key.clone(), any::<u8>()).prop_map(|(k, v)| Op::GetOrInsert(k, v)),
            key.clone().prop_map(Op::Take),
            key.prop_map(Op::Remove),
            Just(Op::RetainEven),
            (0u64..15).prop_map(Op::Advance),
        ]
    }

    /// The plain model: a list of live entries in eviction order.
    #[derive(Debug, Default)]
    struct Model {
        entries: Vec<(u8, u8, Option<u64>, u64)>,
    }

    impl Model {
        fn expiry(idle: Option<u64>, deadline: Option<u64>, last_used: u64) -> Option<u64> {
            let idle_end = idle.map(|i| last_used + i);
            match (deadline, idle_end) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }

        fn forget_dead(&mut self, idle: Option<u64>, now: u64) {
            self.entries
                .retain(|&(_, _, d, used)| Self::expiry(idle, d, used).is_none_or(|at| now < at));
        }

        fn position(&self, key: u8) -> Option<usize> {
            self.entries.iter().position(|e| e.0 == key)
        }

        fn make_room(&mut self, limit: usize) {
            while self.entries.len() >= limit {
                self.entries.remove(0);
            }
        }

        fn used(&mut self, index: usize, now: u64, lru: bool) -> u8 {
            self.entries[index].3 = now;
            let value = self.entries[index].1;
            if lru {
                let entry = self.entries.remove(index);
                self.entries.push(entry);
            }
            value
        }
    }

    fn run(capacity: usize, eviction: Eviction, idle: Option<u64>, ops: &[Op]) {
        let mut store: BoundedStore<u8, u8, u64> = BoundedStore::new(capacity, eviction);
        if let Some(idle) = idle {
            store = store.with_idle_timeout(secs(idle));
        }
        let lru = eviction == Eviction::LeastRecentlyUsed;
        let mut model = Model::default();
        let mut now = 100u64;
        for op in ops {
            model.forget_dead(idle, now);
            match *op {
                Op::Insert(k, v, d) => {
                    let deadline = d.map(|d| now + d);
                    store.insert(k, v, deadline, now);
                    if capacity > 0 {
                        match model.position(k) {
                            Some(i) => {
                                model.entries.remove(i);
                            }
                            None => model.make_room(capacity),
                        }
                        model.entries.push((k, v, deadline, now));
                    }
                }
                Op::Peek(k) => {
                    let want = model.position(k).map(|i| model.entries[i].1);
                    assert_eq!(store.peek(&k, now).copied(), want, "{op:?}");
                }
                Op::Get(k) => {
                    let want = model.position(k).map(|i| model.used(i, now, lru));
                    assert_eq!(store.get(&k, now).map(|v| *v), want, "{op:?}");
                }
                Op::GetOrInsert(k, v) => {
                    let want = match model.position(k) {
                        Some(i) => model.used(i, now, lru),
                        None => {
                            model.make_room(capacity.max(1));
                            model.entries.push((k, v, None, now));
                            v
                        }
                    };
                    assert_eq!(*store.get_or_insert_with(k, now, || v), want, "{op:?}");
                }
                Op::Take(k) => {
                    let want = model.position(k).map(|i| model.entries.remove(i).1);
                    assert_eq!(store.take(&k, now), want, "{op:?}");
                }
                Op::Remove(k) => {
                    let removed = store.remove(&k);
                    if let Some(i) = model.position(k) {
                        assert_eq!(removed, Some(model.entries.remove(i).1), "{op:?}");
                    }
                }
                Op::RetainEven => {
                    store.retain(|v| v % 2 == 0);
                    model.entries.retain(|e| e.1 % 2 == 0);
                }
                Op::Advance(by) => now += by,
            }
            assert!(store.len() <= capacity.max(1), "over capacity after {op:?}");
        }
        model.forget_dead(idle, now);
        for k in 0..6 {
            let want = model.position(k).map(|i| model.entries[i].1);
            assert_eq!(store.peek(&k, now).copied(), want, "key {k} at the end");
        }
    }

    proptest! {
        /// Whatever the sequence of calls, the store answers as the plain model
        /// does: same live entries, same values, same victims, never over capacity.
        #[test]
        fn the_store_behaves_like_the_model(
            capacity in 0usize..5,
            lru in any::<bool>(),
            idle in proptest::option::of(1u64..20),
            ops in proptest::collection::vec(op(), 1..60),
        ) {
            let eviction = if lru { Eviction::LeastRecentlyUsed } else { Eviction::Oldest };
            run(capacity, eviction, idle, &ops);
        }
    }
}
