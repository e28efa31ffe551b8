//! Chat-domain types shared by services and stores. Wire (JSON) shapes live at the edges.

pub mod fields;
pub mod user;

pub use fields::{
    DisplayName, Email, FieldError, Password, PhoneNumber, PictureUrl, StatusText, Username,
};
pub use user::{NewUser, ProfileUpdate, SigningKey, SigningKeyState, User, UserId};
