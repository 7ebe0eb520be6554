//! The server's WebSocket frames, written as bytes (RFC 6455, section 5.2): a connection's
//! frames for one event are laid out one after the other in one buffer and go to the
//! socket in one write. A server's frames are not masked, so a text frame is a header of 2,
//! 4 or 10 bytes and the text itself.
//!
//! Sending each message through the WebSocket library's `Sink` instead costs a lock, two
//! waker registrations, a readiness check and a copy into its buffer per message; with
//! 1,000 subscribers that is a million messages a second at 1,000 writes a second (issue
//! 14's benchmark). Reading stays with the library (tungstenite): it unmasks the client's
//! frames, answers pings and closes, and checks sizes and UTF-8.

/// The opcode byte of a final text frame.
const TEXT: u8 = 0x81;
/// The opcode byte of a close frame.
const CLOSE: u8 = 0x88;
/// The most a control frame (a close) may carry (RFC 6455, section 5.5).
const MAX_CONTROL_PAYLOAD: usize = 125;
/// The longest header of a server's frame: opcode, length 127 and 8 bytes of length.
const MAX_HEADER: usize = 10;

/// Frames ready for a socket, in the order they go out.
#[derive(Debug, Default)]
pub(in crate::http) struct Frames {
    bytes: Vec<u8>,
    count: usize,
    closes: bool,
}

impl Frames {
    /// One text frame holding `parts`, one after the other.
    pub(in crate::http) fn text(parts: &[&str]) -> Frames {
        let mut frames = Frames::default();
        frames.push_text(parts);
        frames
    }

    /// A close frame with `code` and `reason` (cut to what a control frame holds, at a
    /// character's end).
    pub(in crate::http) fn close(code: u16, reason: &str) -> Frames {
        let mut end = reason.len().min(MAX_CONTROL_PAYLOAD - 2);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let reason = &reason.as_bytes()[..end];
        let mut frames = Frames::with_capacity(1, 2 + reason.len());
        frames.bytes.push(CLOSE);
        frames.bytes.push((2 + reason.len()) as u8);
        frames.bytes.extend_from_slice(&code.to_be_bytes());
        frames.bytes.extend_from_slice(reason);
        frames.count = 1;
        frames.closes = true;
        frames
    }

    /// Room for `frames` frames holding `payload` bytes of text in all (their headers
    /// included).
    pub(in crate::http) fn with_capacity(frames: usize, payload: usize) -> Frames {
        Frames {
            bytes: Vec::with_capacity(payload + MAX_HEADER * frames),
            count: 0,
            closes: false,
        }
    }

    /// The bytes of a text frame holding `parts`, one after the other, its header included.
    pub(in crate::http) fn text_size(parts: &[&str]) -> usize {
        let len: usize = parts.iter().map(|part| part.len()).sum();
        let header = match len {
            0..=125 => 2,
            126..=0xFFFF => 4,
            _ => MAX_HEADER,
        };
        header + len
    }

    /// Adds a text frame holding `parts`, one after the other, in one growth of the
    /// buffer at most (none in the room of [`Frames::with_capacity`]).
    pub(in crate::http) fn push_text(&mut self, parts: &[&str]) {
        let len: usize = parts.iter().map(|part| part.len()).sum();
        self.bytes.reserve(len + MAX_HEADER);
        self.bytes.push(TEXT);
        match len {
            0..=125 => self.bytes.push(len as u8),
            126..=0xFFFF => {
                self.bytes.push(126);
                self.bytes.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                self.bytes.push(127);
                self.bytes.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        for part in parts {
            self.bytes.extend_from_slice(part.as_bytes());
        }
        self.count += 1;
    }

    /// Adds `other`'s frames after these.
    pub(in crate::http) fn append(&mut self, other: Frames) {
        if self.is_empty() {
            *self = other;
            return;
        }
        self.bytes.extend_from_slice(&other.bytes);
        self.count += other.count;
        self.closes |= other.closes;
    }

    /// How many frames these are.
    pub(in crate::http) fn count(&self) -> usize {
        self.count
    }

    /// Whether one of them closes the connection.
    pub(in crate::http) fn closes(&self) -> bool {
        self.closes
    }

    /// Whether there is no frame.
    pub(in crate::http) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The frames' bytes, as they go to the socket.
    pub(in crate::http) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

    use super::*;

    /// The frames in `bytes` as the WebSocket library reads them: opcode and payload.
    fn read(bytes: &[u8]) -> Vec<(OpCode, Vec<u8>)> {
        let mut cursor = Cursor::new(bytes);
        let mut frames = Vec::new();
        while (cursor.position() as usize) < bytes.len() {
            let (header, len) = FrameHeader::parse(&mut cursor)
                .expect("a valid header")
                .expect("a whole header");
            assert!(header.is_final, "a final frame");
            assert!(header.mask.is_none(), "a server's frame is not masked");
            let start = cursor.position() as usize;
            let end = start + len as usize;
            frames.push((header.opcode, bytes[start..end].to_vec()));
            cursor.set_position(end as u64);
        }
        frames
    }

    #[test]
    fn text_frames_of_every_length_class_read_back_whole() {
        // 125 and 126 bytes, 65,535 and 65,536: each side of the two length boundaries.
        let lengths = [0, 1, 125, 126, 127, 65_535, 65_536, 300_000];
        let mut frames = Frames::default();
        let texts: Vec<String> = lengths
            .iter()
            .map(|&len| "é".repeat(len / 2) + &"x".repeat(len % 2))
            .collect();
        for text in &texts {
            let (head, tail) = text.split_at(text.len() / 2 / 2 * 2);
            let before = frames.bytes().len();
            frames.push_text(&[head, tail]);
            // What a frame will take is known before it is laid out.
            assert_eq!(
                frames.bytes().len() - before,
                Frames::text_size(&[head, tail])
            );
        }
        assert_eq!(frames.count(), lengths.len());
        assert!(!frames.closes());
        let read = read(frames.bytes());
        assert_eq!(read.len(), texts.len());
        for ((opcode, payload), text) in read.iter().zip(&texts) {
            assert_eq!(*opcode, OpCode::Data(Data::Text));
            assert_eq!(payload, text.as_bytes());
        }
    }

    #[test]
    fn a_close_frame_carries_its_code_and_a_reason_cut_to_fit() {
        let long = "é".repeat(100);
        let mut frames = Frames::text(&[r#"{"type":"ping"}"#]);
        frames.append(Frames::close(4008, &long));
        assert_eq!(frames.count(), 2);
        assert!(frames.closes());
        let read = read(frames.bytes());
        assert_eq!(read[0].1, br#"{"type":"ping"}"#);
        let (opcode, payload) = &read[1];
        assert!(matches!(opcode, OpCode::Control(_)));
        assert!(payload.len() <= MAX_CONTROL_PAYLOAD);
        let code = u16::from_be_bytes([payload[0], payload[1]]);
        assert_eq!(code, 4008);
        let reason = std::str::from_utf8(&payload[2..]).expect("the reason is cut at a char");
        assert!(long.starts_with(reason) && reason.len() >= 121, "{reason}");
    }

    #[test]
    fn frames_laid_out_in_the_room_made_for_them_never_move() {
        // 50 frames of each length class: the room counts the longest header for each.
        for len in [100, 1_000, 70_000] {
            let text = "x".repeat(len);
            let mut frames = Frames::with_capacity(50, 50 * len);
            let room = frames.bytes.capacity();
            let start = frames.bytes.as_ptr();
            for _ in 0..50 {
                frames.push_text(&[&text[..len / 2], &text[len / 2..]]);
            }
            assert_eq!(frames.bytes.capacity(), room, "{len}");
            assert_eq!(frames.bytes.as_ptr(), start, "{len}");
            assert_eq!(read(frames.bytes()).len(), 50);
        }
    }

    #[test]
    fn appending_to_nothing_keeps_the_other_frames() {
        let mut frames = Frames::default();
        frames.append(Frames::text(&["a"]));
        frames.append(Frames::default());
        frames.append(Frames::text(&["b", "c"]));
        let read = read(frames.bytes());
        let payloads: Vec<&[u8]> = read.iter().map(|(_, p)| p.as_slice()).collect();
        assert_eq!(payloads, [b"a".as_slice(), b"bc".as_slice()]);
        assert_eq!(frames.count(), 2);
    }
}
