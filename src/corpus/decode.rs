//! Text from bytes in whatever encoding an article came in: an article is never dropped for a byte.
//!
//! UTF-8 is read as it is (a byte order mark dropped). UTF-16 is recognised by its byte order mark,
//! or, without one, by the zero bytes of its ASCII characters. Anything else that is not UTF-8 is
//! read as UTF-8 where it is and as Windows-1252 (which ISO-8859-1 text also reads as) byte by byte
//! where it is not: a Latin-1 file comes out right, and so does a UTF-8 file with one stray Latin-1
//! byte, whose UTF-8 characters a whole-file guess would garble.

use std::borrow::Cow;
use std::fmt;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// How bytes that were not plain UTF-8 were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoding {
    /// The bytes were not valid UTF-8 from byte `offset` on; `bytes` bytes in all were read as
    /// Windows-1252, the rest as UTF-8.
    Windows1252 {
        /// The first byte that is not UTF-8 (0-based, in the file or the line).
        offset: usize,
        /// How many bytes were read as Windows-1252.
        bytes: usize,
    },
    /// The bytes were UTF-16, recognised by a byte order mark or by their zero bytes.
    Utf16 {
        /// `UTF-16LE` or `UTF-16BE`.
        encoding: &'static str,
        /// Malformed code units replaced by U+FFFD.
        replaced: bool,
    },
}

impl fmt::Display for Decoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decoding::Windows1252 { offset, bytes } => {
                let s = if *bytes == 1 { "" } else { "s" };
                write!(
                    f,
                    "not valid UTF-8 at byte {offset}; {bytes} byte{s} read as Windows-1252 (Latin-1)"
                )
            }
            Decoding::Utf16 { encoding, replaced } => {
                write!(f, "read as {encoding}")?;
                if *replaced {
                    f.write_str(", malformed characters replaced by U+FFFD")?;
                }
                Ok(())
            }
        }
    }
}

/// Text decoded from bytes, and how, if they were not plain UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The text.
    pub text: Cow<'a, str>,
    /// How it was decoded; `None` for UTF-8.
    pub decoding: Option<Decoding>,
}

/// Decodes an article's bytes (see the module docs); never fails.
pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        if encoding != encoding_rs::UTF_8 {
            return utf16(encoding, &bytes[bom..]);
        }
        return decode_record(&bytes[bom..]);
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        return utf16(encoding, bytes);
    }
    decode_record(bytes)
}

/// Decodes one record of line-oriented input (a JSONL line), where UTF-16 cannot occur: UTF-8 (a
/// byte order mark dropped), or Windows-1252 byte by byte where the bytes are not UTF-8. Costs no
/// more than checking UTF-8 when the bytes are UTF-8.
pub fn decode_record(bytes: &[u8]) -> Decoded<'_> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Decoded {
            text: Cow::Borrowed(text),
            decoding: None,
        },
        Err(e) => {
            let mut text = String::with_capacity(bytes.len() + 16);
            let mut invalid = 0;
            for chunk in bytes.utf8_chunks() {
                text.push_str(chunk.valid());
                if !chunk.invalid().is_empty() {
                    invalid += chunk.invalid().len();
                    let (latin, _) = WINDOWS_1252.decode_without_bom_handling(chunk.invalid());
                    text.push_str(&latin);
                }
            }
            Decoded {
                text: Cow::Owned(text),
                decoding: Some(Decoding::Windows1252 {
                    offset: e.valid_up_to(),
                    bytes: invalid,
                }),
            }
        }
    }
}

fn utf16<'a>(encoding: &'static Encoding, bytes: &[u8]) -> Decoded<'a> {
    let (text, replaced) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: Cow::Owned(text.into_owned()),
        decoding: Some(Decoding::Utf16 {
            encoding: encoding.name(),
            replaced,
        }),
    }
}

/// Bytes inspected to recognise UTF-16 without a byte order mark.
const SNIFF_BYTES: usize = 4096;

/// UTF-16 without a byte order mark: text in a Latin script has a zero byte in most of its code
/// units, always on the same side, and UTF-8 text has none.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES) & !1];
    if head.len() < 4 {
        return None;
    }
    let units = head.len() / 2;
    let (mut even, mut odd) = (0, 0);
    for unit in head.chunks_exact(2) {
        even += usize::from(unit[0] == 0);
        odd += usize::from(unit[1] == 0);
    }
    // Most units have one zero byte, on one side only.
    let most = units * 2 / 3;
    match (even, odd) {
        (e, o) if o >= most && e == 0 => Some(UTF_16LE),
        (e, o) if e >= most && o == 0 => Some(UTF_16BE),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_latin1_byte_in_utf8_text_is_read_and_the_utf8_kept() {
        let d = decode(b"Caf\xe9 au lait, cr\xc3\xa8me br\xc3\xbbl\xc3\xa9e");
        assert_eq!(d.text, "Café au lait, crème brûlée");
        assert_eq!(
            d.decoding,
            Some(Decoding::Windows1252 {
                offset: 3,
                bytes: 1
            })
        );
        assert_eq!(
            d.decoding.unwrap().to_string(),
            "not valid UTF-8 at byte 3; 1 byte read as Windows-1252 (Latin-1)"
        );
    }

    #[test]
    fn windows_1252_quotes_are_read_as_quotes() {
        let d = decode(b"\x93Quoted\x94 \x96 and \x80 5");
        assert_eq!(d.text, "\u{201c}Quoted\u{201d} \u{2013} and \u{20ac} 5");
    }

    #[test]
    fn utf8_is_borrowed_and_a_bom_dropped() {
        let d = decode("plain é".as_bytes());
        assert!(matches!(d.text, Cow::Borrowed("plain é")));
        assert_eq!(d.decoding, None);
        assert_eq!(decode(b"\xef\xbb\xbfwith bom").text, "with bom");
        assert_eq!(decode(b"").text, "");
    }

    #[test]
    fn utf16_with_and_without_a_bom() {
        let text = "Harbour été";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (bytes, name) in [(le, "UTF-16LE"), (be, "UTF-16BE")] {
            let bom: &[u8] = if name == "UTF-16LE" {
                b"\xff\xfe"
            } else {
                b"\xfe\xff"
            };
            for input in [[bom, &bytes].concat(), bytes.clone()] {
                let d = decode(&input);
                assert_eq!(d.text, text, "{name}");
                assert_eq!(
                    d.decoding,
                    Some(Decoding::Utf16 {
                        encoding: name,
                        replaced: false
                    })
                );
            }
        }
    }
}
