//! The `ha_msg` data model: an ordered list of named, typed fields.
//!
//! Duplicate names are allowed (the getters return the first match, as
//! Linux-HA's `cl_get_value` does). Field names are text; string values are
//! bytes because Heartbeat treats them as C strings of any encoding.

/// The type of a field, as the digit Linux-HA writes in `(T)name=...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// `0`: NUL-free text.
    String,
    /// `1`: raw bytes (base64 in the classic encoding).
    Binary,
    /// `2`: a nested message.
    Struct,
    /// `3`: a list of strings.
    List,
    /// `4`: a compressed nested message, kept as opaque bytes.
    Compress,
    /// `5`: a nested message the sender meant to compress.
    Uncompress,
}

impl FieldType {
    /// The type's digit on the wire.
    pub const fn digit(self) -> u8 {
        match self {
            FieldType::String => b'0',
            FieldType::Binary => b'1',
            FieldType::Struct => b'2',
            FieldType::List => b'3',
            FieldType::Compress => b'4',
            FieldType::Uncompress => b'5',
        }
    }

    /// The type written as `digit`, or `None` for an unknown digit.
    pub const fn from_digit(digit: u8) -> Option<FieldType> {
        Some(match digit {
            b'0' => FieldType::String,
            b'1' => FieldType::Binary,
            b'2' => FieldType::Struct,
            b'3' => FieldType::List,
            b'4' => FieldType::Compress,
            b'5' => FieldType::Uncompress,
            _ => return None,
        })
    }
}

/// The value of one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A string (no NUL byte; newlines allowed, escaped in the classic encoding).
    Str(Vec<u8>),
    /// Raw bytes, e.g. a 16-byte uuid.
    Binary(Vec<u8>),
    /// A nested message.
    Struct(HaMsg),
    /// A list of strings.
    List(Vec<Vec<u8>>),
    /// A compressed nested message (zlib or bz2), not decompressed here.
    Compress(Vec<u8>),
    /// A nested message marked for compression by its sender.
    Uncompress(HaMsg),
}

impl Value {
    /// The field type of this value.
    pub const fn field_type(&self) -> FieldType {
        match self {
            Value::Str(_) => FieldType::String,
            Value::Binary(_) => FieldType::Binary,
            Value::Struct(_) => FieldType::Struct,
            Value::List(_) => FieldType::List,
            Value::Compress(_) => FieldType::Compress,
            Value::Uncompress(_) => FieldType::Uncompress,
        }
    }
}

/// One named field of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The field's name (`t`, `src`, `seq`, ...).
    pub name: String,
    /// The field's value.
    pub value: Value,
}

/// A Linux-HA message: fields in wire order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HaMsg {
    /// The fields, in the order they are encoded.
    pub fields: Vec<Field>,
}

impl HaMsg {
    /// An empty message.
    pub fn new() -> HaMsg {
        HaMsg::default()
    }

    /// Append a field.
    pub fn push(&mut self, name: impl Into<String>, value: Value) {
        self.fields.push(Field {
            name: name.into(),
            value,
        });
    }

    /// Append a string field.
    pub fn push_str(&mut self, name: impl Into<String>, value: impl AsRef<[u8]>) {
        self.push(name, Value::Str(value.as_ref().to_vec()));
    }

    /// Append a binary field.
    pub fn push_binary(&mut self, name: impl Into<String>, value: impl AsRef<[u8]>) {
        self.push(name, Value::Binary(value.as_ref().to_vec()));
    }

    /// Builder form of [`HaMsg::push_str`].
    #[must_use]
    pub fn with_str(mut self, name: impl Into<String>, value: impl AsRef<[u8]>) -> HaMsg {
        self.push_str(name, value);
        self
    }

    /// The first field named `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.value)
    }

    /// The first field named `name` if it is a string, as bytes.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        match self.get(name)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The first field named `name` if it is a UTF-8 string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        std::str::from_utf8(self.get_bytes(name)?).ok()
    }

    /// The first field named `name` if it is binary.
    pub fn get_binary(&self, name: &str) -> Option<&[u8]> {
        match self.get(name)? {
            Value::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// The message type (`t`), if present and UTF-8.
    pub fn msg_type(&self) -> Option<&str> {
        self.get_str("t")
    }

    /// Set the first field named `name` to `value` in place, or append it
    /// (what Heartbeat does when it adds its control fields).
    pub fn set(&mut self, name: &str, value: Value) {
        match self.fields.iter_mut().find(|f| f.name == name) {
            Some(f) => f.value = value,
            None => self.push(name, value),
        }
    }

    /// Remove every field named `name`; returns whether one was removed.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.fields.len();
        self.fields.retain(|f| f.name != name);
        self.fields.len() != before
    }
}
