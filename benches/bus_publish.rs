//! What a cross-node publish costs the publishing node: process CPU per message through
//! `RedisBus`, at a steady moderate rate and flat out (issue 11's target: ≤ 10 µs).
//!
//! The node holds every sender's socket, as the sending node does, so it is subscribed to their
//! channels and Redis echoes its own frames back to it (which it skips); receivers are on
//! "another node" (their channels have no subscriber here). Each message is a direct message:
//! two recipients, two `PUBLISH`. Needs a Redis: `OMEGACHAT_TEST_REDIS_URL` (e.g.
//! `redis://127.0.0.1:6379/`). Results and the machine are in BENCHMARKS.md.
//!
//!   OMEGACHAT_TEST_REDIS_URL=redis://127.0.0.1:56379/ cargo bench --bench bus_publish

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use omegachatd::bus::redis::RedisBus;
use omegachatd::bus::{Envelope, Event, EventBus};
use omegachatd::domain::{ConversationId, Message, MessageId, MessageType, UserId};

const PAIRS: i64 = 100;

fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn direct_message(n: i64) -> Envelope {
    let (sender, receiver) = (UserId(1 + n % PAIRS), UserId(1_001 + n % PAIRS));
    Envelope {
        recipients: vec![sender, receiver],
        event: Event::MessageCreated(Message {
            conversation_id: ConversationId::random(),
            message_id: MessageId::now(),
            sender_id: sender,
            recipient_id: Some(receiver),
            content: "a message of about the length people type in a chat, give or take".into(),
            media_urls: Vec::new(),
            message_type: MessageType::Text,
            status: "sent".into(),
            timestamp: Utc::now(),
            edited: false,
            edited_timestamp: None,
            deleted: false,
            metadata: BTreeMap::new(),
            client_msg_id: Some(format!("c-{n}")),
        }),
    }
}

/// The CPU this benchmark's own pacing costs per tick at `rate` (a timer wake-up per message,
/// building the envelope), without publishing: subtracted from the paced figure.
async fn pacing_alone(messages: i64, rate: u32) -> Duration {
    let cpu_before = cpu_time();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate);
    for n in 0..messages {
        ticks.tick().await;
        std::hint::black_box(direct_message(n));
    }
    let cpu = cpu_time() - cpu_before;
    println!(
        "{:>14}: pacing alone, {:.1} µs CPU per tick",
        format!("{rate} msgs/s"),
        cpu.as_secs_f64() * 1e6 / messages as f64
    );
    cpu / messages as u32
}

/// Publishes `messages` at `rate` per second (`None`: as fast as the bus takes them) and
/// returns the process CPU per message once Redis took every `PUBLISH`.
async fn run(bus: &RedisBus, messages: i64, rate: Option<u32>) -> Duration {
    let stats = bus.stats();
    let published_before = stats.published.load(Ordering::Relaxed);
    let dropped_before = stats.dropped.load(Ordering::Relaxed);
    let (cpu_before, started) = (cpu_time(), Instant::now());
    let mut ticks = rate.map(|r| tokio::time::interval(Duration::from_secs(1) / r));
    for n in 0..messages {
        match &mut ticks {
            Some(ticks) => {
                ticks.tick().await;
            }
            // Flat out, but never past the outbox: wait whenever 1,000 are unwritten.
            None if n % 1_000 == 0 => {
                while (n as u64 * 2)
                    .saturating_sub(stats.published.load(Ordering::Relaxed) - published_before)
                    > 2_000
                {
                    tokio::task::yield_now().await;
                }
            }
            None => {}
        }
        bus.publish(direct_message(n));
    }
    let wanted = published_before + messages as u64 * 2;
    while stats.published.load(Ordering::Relaxed) < wanted {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let cpu = cpu_time() - cpu_before;
    assert_eq!(
        stats.dropped.load(Ordering::Relaxed),
        dropped_before,
        "nothing dropped"
    );
    println!(
        "{:>14}: {messages} messages in {:.1} s, {:.1} µs CPU per message ({} PUBLISH each)",
        rate.map_or("flat out".to_owned(), |r| format!("{r} msgs/s")),
        started.elapsed().as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / messages as f64,
        2,
    );
    cpu / messages as u32
}

fn main() {
    let Ok(url) = std::env::var("OMEGACHAT_TEST_REDIS_URL") else {
        eprintln!(
            "bus_publish: set OMEGACHAT_TEST_REDIS_URL to a Redis server to run this benchmark"
        );
        std::process::exit(2);
    };
    // As the daemon runs it: a multi-threaded runtime on every core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let prefix = format!("bench-{}:", std::process::id());
        let bus = RedisBus::connect(&url, &prefix, 65_536)
            .await
            .expect("Redis at OMEGACHAT_TEST_REDIS_URL");
        for sender in 1..=PAIRS {
            assert!(
                bus.watch(UserId(sender))
                    .live_within(Duration::from_secs(5))
                    .await
            );
        }
        // Everything warm: connections, allocations.
        run(&bus, 2_000, None).await;
        println!("RedisBus publish, {PAIRS} senders on this node, receivers elsewhere:");
        let pacing = pacing_alone(10_000, 1_000).await;
        let paced = run(&bus, 10_000, Some(1_000)).await;
        println!(
            "{:>14}: {:.1} µs CPU per message for the bus (paced run minus pacing)",
            "1000 msgs/s",
            paced.saturating_sub(pacing).as_secs_f64() * 1e6
        );
        run(&bus, 100_000, None).await;
    });
}
