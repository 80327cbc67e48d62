//! One control-socket client: its request and answer within
//! [`CLIENT_DEADLINE`], then, for an accepted event stream, one line per
//! engine event until the client hangs up, stops reading, or the engine
//! stops.

use std::io;
use std::time::Duration;

use heartbeat_core::control::{
    parse_request_bytes, response_line, ErrorKind, EventLine, Request, Response, MAX_REQUEST_LINE,
};
use heartbeat_core::engine::Event;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;
use tokio::sync::broadcast;

use super::admission::ClientSlot;
use super::{AdminPolicy, RequestHandler};

/// How long one client may take to send its request and read the answer,
/// and an event subscriber to take one event line off the socket.
pub const CLIENT_DEADLINE: Duration = Duration::from_secs(5);

/// A client whose event stream was accepted.
struct Subscriber {
    read: OwnedReadHalf,
    write: OwnedWriteHalf,
    events: broadcast::Receiver<Event>,
}

/// Serves one admitted client; `slot` is held until the connection ends.
pub(super) async fn serve<H: RequestHandler>(
    stream: UnixStream,
    mut slot: ClientSlot,
    handler: &H,
    policy: AdminPolicy,
) -> io::Result<()> {
    let answered =
        tokio::time::timeout(CLIENT_DEADLINE, answer(stream, &mut slot, handler, policy))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "client too slow"))??;
    match answered {
        Some(subscriber) => stream_events(subscriber).await,
        None => Ok(()),
    }
}

/// Reads the request and writes the answer; an accepted
/// [`Request::Events`] comes back as a [`Subscriber`] to stream to.
async fn answer<H: RequestHandler>(
    stream: UnixStream,
    slot: &mut ClientSlot,
    handler: &H,
    policy: AdminPolicy,
) -> io::Result<Option<Subscriber>> {
    let cred = stream.peer_cred()?;
    let (mut read, mut write) = stream.into_split();
    let line = read_request_line(&mut read).await?;
    let response = match parse_request_bytes(&line) {
        Err(response) => response,
        Ok(Request::Events) => match subscribe(slot, handler) {
            Ok(events) => {
                let ok = Response::Accepted {
                    message: "streaming events".into(),
                };
                write.write_all(response_line(&ok).as_bytes()).await?;
                return Ok(Some(Subscriber {
                    read,
                    write,
                    events,
                }));
            }
            Err(refused) => refused,
        },
        Ok(request) if request.changes_state() && !slot.privileged() => Response::error(
            ErrorKind::PermissionDenied,
            format!(
                "uid {} may not change the cluster: only root{} may",
                cred.uid(),
                policy
                    .admin_gid
                    .map(|g| format!(" or members of group {g}"))
                    .unwrap_or_default()
            ),
        ),
        Ok(request) => handler.handle(request).await,
    };
    write.write_all(response_line(&response).as_bytes()).await?;
    write.shutdown().await?;
    Ok(None)
}

/// One request line, without its newline, of at most [`MAX_REQUEST_LINE`]
/// bytes (a longer one is cut there and fails to parse).
async fn read_request_line(read: &mut (impl AsyncRead + Unpin)) -> io::Result<Vec<u8>> {
    let limit = u64::try_from(MAX_REQUEST_LINE).unwrap_or(u64::MAX);
    let mut line = Vec::new();
    BufReader::new(read.take(limit))
        .read_until(b'\n', &mut line)
        .await?;
    while line.last().is_some_and(|b| b.is_ascii_whitespace()) {
        line.pop();
    }
    Ok(line)
}

/// The engine's events for an event stream, or the refusal to answer.
fn subscribe<H: RequestHandler>(
    slot: &mut ClientSlot,
    handler: &H,
) -> Result<broadcast::Receiver<Event>, Response> {
    slot.subscribe()
        .map_err(|refusal| Response::error(ErrorKind::Busy, refusal.to_string()))?;
    handler
        .subscribe()
        .ok_or_else(|| Response::error(ErrorKind::Refused, "no event stream here"))
}

/// Writes one line per event until the client hangs up (noticed while the
/// cluster is quiet too), stops reading for [`CLIENT_DEADLINE`], or the
/// engine stops. Bytes the client sends after its request are discarded.
async fn stream_events(mut subscriber: Subscriber) -> io::Result<()> {
    let mut discard = [0u8; 256];
    loop {
        let event = tokio::select! {
            read = subscriber.read.read(&mut discard) => match read {
                Ok(0) | Err(_) => return Ok(()),
                Ok(_) => continue,
            },
            event = subscriber.events.recv() => match event {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => {
                    return subscriber.write.shutdown().await;
                }
            },
        };
        let Some(line) = EventLine::from_event(&event, unix_ms_now()) else {
            continue;
        };
        tokio::time::timeout(
            CLIENT_DEADLINE,
            subscriber.write.write_all(line.to_line().as_bytes()),
        )
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "subscriber stopped reading"))??;
    }
}

/// Milliseconds since the Unix epoch, for event lines.
fn unix_ms_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
