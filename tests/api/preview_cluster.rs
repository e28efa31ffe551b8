//! Link previews on two nodes sharing Redis: a preview fetched through one node is served by the
//! other without a fetch, and an image link issued by one node is honoured by the other (behind a
//! load balancer, the `<img>` request may land anywhere).

use std::sync::atomic::Ordering;

use reqwest::StatusCode;

use crate::helpers::spawn_cluster;
use crate::preview::preview_ok;
use crate::preview_site::{PNG, SITE_IP, start_site};

#[tokio::test]
async fn a_preview_fetched_by_one_node_is_served_by_the_other() {
    let site = start_site(None).await;
    let (a, b) = spawn_cluster(|c| {
        c.preview.allow_networks = vec![format!("{SITE_IP}/32")];
        // One fetch a minute: a second fetch on the other node would be refused.
        c.preview.fetches_per_user_per_minute = 1;
    })
    .await;
    let user = a.signed_up("sharer").await;
    let link = site.url("/og");
    let on_a = preview_ok(&a, &user, &link).await;
    let on_b = preview_ok(&b, &user, &link).await;
    assert_eq!(on_a, on_b, "node B answered from the shared cache");
    assert_eq!(
        site.requests.load(Ordering::SeqCst),
        1,
        "the page was fetched once"
    );

    let image = on_a["image"]["url"].as_str().unwrap();
    let response = b.http.get(b.url(image)).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "node B honours node A's image link"
    );
    assert_eq!(&response.bytes().await.unwrap()[..], PNG);
}
