-- split.sql - the EVAL.md temporal-20 split in plain SQL (runs unchanged in
-- PostgreSQL and SQLite). Expects ratings(user_id, item_id, rating, ts).
CREATE TABLE pos AS SELECT user_id, item_id, ts FROM ratings WHERE rating >= 4;
CREATE TABLE ranked AS
  SELECT user_id, item_id, ts,
         row_number() OVER (PARTITION BY user_id ORDER BY ts DESC, item_id DESC) AS rn_desc,
         count(*) OVER (PARTITION BY user_id) AS n
  FROM pos;
CREATE TABLE test_set AS
  SELECT user_id, item_id FROM ranked
  WHERE n >= 5 AND rn_desc <= CASE WHEN n / 5 < 1 THEN 1 ELSE n / 5 END;
CREATE TABLE train_set AS
  SELECT user_id, item_id, ts FROM ranked
  WHERE NOT (n >= 5 AND rn_desc <= CASE WHEN n / 5 < 1 THEN 1 ELSE n / 5 END);
CREATE TABLE test_users AS
  SELECT user_id, count(*) AS n_test FROM test_set GROUP BY user_id;
-- discount 1/log2(rank + 1) for ranks 1..10, as literals (no math library needed)
CREATE TABLE disc(r integer, d double precision);
INSERT INTO disc VALUES (1, 1.0), (2, 0.6309297535714575), (3, 0.5), (4, 0.43067655807339306),
  (5, 0.38685280723454163), (6, 0.3562071871080222), (7, 0.3333333333333333),
  (8, 0.31546487678572877), (9, 0.30102999566398120), (10, 0.2890648263178879);
SELECT 'sizes', (SELECT count(*) FROM train_set), (SELECT count(*) FROM test_set),
       (SELECT count(*) FROM test_users);
