//! Bytes ↔ lines (PROTOCOL §1), with no I/O: a `tokio_util` decoder that finds
//! `\n`-terminated lines (accepting `\r\n`) and enforces the two length limits, so that
//! an endless line costs at most the limit in memory. The server reads requests with it,
//! the relay and the client read the server's lines with it (one limit for all lines).
//!
//! ```text
//! line     = 1*byte "\n"          ; at most max_line bytes
//! long     = ("SYNC_BLOCKCHAIN:" / "SUBMIT_BLOCK:") … ; at most max_sync bytes
//! ```

use crate::protocol::MAX_SERVER_LINE;
use alloc::string::{String, ToString};
use bytes::BytesMut;
use tokio_util::codec::Decoder;

/// The requests whose lines may be as long as `max_sync` (PROTOCOL §1, §9).
const LONG_PREFIXES: [&[u8]; 2] = [b"SYNC_BLOCKCHAIN:", b"SUBMIT_BLOCK:"];

/// One framed line, or why there is none.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A UTF-8 line without its terminator.
    Line(String),
    /// A line that is not UTF-8 (the server answers it with `bad_request` and reads
    /// on; the relay and the client give up on such a server).
    NotUtf8,
    /// A line passed its limit; nothing more is decoded (the server answers
    /// `too_long` and closes; the relay and the client give up).
    TooLong { limit: usize },
}

/// The decoder. It keeps scanning from where it stopped, so each byte is looked at once.
#[derive(Debug)]
pub struct LineCodec {
    max_line: usize,
    max_sync: usize,
    /// How far the current buffer has been searched for `\n`.
    scanned: usize,
    /// Set once a line was too long: everything after is ignored.
    failed: bool,
}

impl LineCodec {
    /// A codec with these limits, in bytes, not counting the terminator.
    pub fn new(max_line: usize, max_sync: usize) -> Self {
        LineCodec {
            max_line,
            max_sync: max_sync.max(max_line),
            scanned: 0,
            failed: false,
        }
    }

    /// The codec for lines the server sends (read by the relay and the CLI's client):
    /// one limit, [`MAX_SERVER_LINE`], for every line.
    pub fn server_lines() -> Self {
        LineCodec::new(MAX_SERVER_LINE, MAX_SERVER_LINE)
    }

    fn limit_for(&self, buf: &[u8]) -> usize {
        let long = LONG_PREFIXES.iter().any(|prefix| {
            let probe = &buf[..buf.len().min(prefix.len())];
            prefix.starts_with(probe)
        });
        if long { self.max_sync } else { self.max_line }
    }
}

impl Decoder for LineCodec {
    type Item = Frame;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, Self::Error> {
        if self.failed {
            buf.clear();
            return Ok(None);
        }
        let newline = buf[self.scanned..]
            .iter()
            .position(|b| *b == b'\n')
            .map(|i| i + self.scanned);
        let limit = self.limit_for(buf);
        match newline {
            None => {
                self.scanned = buf.len();
                if buf.len() > limit {
                    self.failed = true;
                    buf.clear();
                    return Ok(Some(Frame::TooLong { limit }));
                }
                Ok(None)
            }
            Some(end) => {
                self.scanned = 0;
                let mut line = buf.split_to(end + 1);
                line.truncate(end);
                if line.last() == Some(&b'\r') {
                    line.truncate(end - 1);
                }
                if line.len() > limit {
                    self.failed = true;
                    buf.clear();
                    return Ok(Some(Frame::TooLong { limit }));
                }
                Ok(Some(match String::from_utf8(line.to_vec()) {
                    Ok(text) => Frame::Line(text),
                    Err(_) => Frame::NotUtf8,
                }))
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, Self::Error> {
        match self.decode(buf)? {
            Some(frame) => Ok(Some(frame)),
            None => {
                // A last line without `\n` is still a request.
                if buf.is_empty() || self.failed {
                    return Ok(None);
                }
                let rest = buf.split_to(buf.len());
                self.scanned = 0;
                Ok(Some(match String::from_utf8(rest.to_vec()) {
                    Ok(text) => Frame::Line(text.trim_end_matches('\r').to_string()),
                    Err(_) => Frame::NotUtf8,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn decode_all(codec: &mut LineCodec, input: &[u8]) -> Vec<Frame> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(f) = codec.decode(&mut buf).unwrap() {
            out.push(f);
        }
        out
    }

    #[test]
    fn lines_and_crlf() {
        let mut c = LineCodec::new(100, 1000);
        assert_eq!(
            decode_all(&mut c, b"PING\r\nGET_INFO\n\nPART"),
            vec![
                Frame::Line("PING".into()),
                Frame::Line("GET_INFO".into()),
                Frame::Line(String::new())
            ]
        );
    }

    #[test]
    fn split_across_reads() {
        let mut c = LineCodec::new(100, 1000);
        let mut buf = BytesMut::from(&b"PI"[..]);
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"NG\n");
        assert_eq!(
            c.decode(&mut buf).unwrap(),
            Some(Frame::Line("PING".into()))
        );
    }

    #[test]
    fn limits() {
        let mut c = LineCodec::new(8, 40);
        assert_eq!(
            decode_all(&mut c, b"123456789\n"),
            vec![Frame::TooLong { limit: 8 }]
        );
        let mut c = LineCodec::new(8, 40);
        // Without a newline yet, the limit is enforced as soon as it is passed.
        assert_eq!(
            decode_all(&mut c, b"123456789"),
            vec![Frame::TooLong { limit: 8 }]
        );
        let mut c = LineCodec::new(8, 40);
        let sync = b"SYNC_BLOCKCHAIN:{\"blocks\":[]}\n";
        assert_eq!(
            decode_all(&mut c, sync),
            vec![Frame::Line("SYNC_BLOCKCHAIN:{\"blocks\":[]}".into())]
        );
        let submit = b"SUBMIT_BLOCK:{\"height\":1}\n";
        assert_eq!(
            decode_all(&mut c, submit),
            vec![Frame::Line("SUBMIT_BLOCK:{\"height\":1}".into())]
        );
        let mut long = b"SYNC_BLOCKCHAIN:".to_vec();
        long.extend_from_slice(&[b'x'; 30]);
        assert_eq!(
            decode_all(&mut c, &long),
            vec![Frame::TooLong { limit: 40 }]
        );
    }

    #[test]
    fn not_utf8() {
        let mut c = LineCodec::new(100, 1000);
        assert_eq!(
            decode_all(&mut c, b"\xff\xfe\nPING\n"),
            vec![Frame::NotUtf8, Frame::Line("PING".into())]
        );
    }
}
