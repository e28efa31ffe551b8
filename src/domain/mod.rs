//! Chat-domain types shared by services and stores. Wire (JSON) shapes live at the edges.

pub mod chat;
pub mod fields;
pub mod preview;
pub mod user;

pub use chat::{
    Conversation, ConversationFlags, ConversationId, ConversationKind, ConversationSummary,
    Friendship, FriendshipStatus, Group, GroupMember, GroupRole, HistoryPage, Message, MessageId,
    MessageType,
};
pub use fields::{
    DisplayName, Email, FieldError, Password, PhoneNumber, PictureUrl, StatusText, Username,
};
pub use preview::{Preview, PreviewImage};
pub use user::{NewUser, ProfileUpdate, SigningKey, SigningKeyState, User, UserId};
