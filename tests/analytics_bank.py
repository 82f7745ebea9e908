"""A small hand-made bank for the analytics marts: eight accounts over three month ends of 2024
plus one April daily file, chosen so that every kind of move between month ends happens once.

    account  product  branch    Jan-31          Feb-29               Mar-31         Apr-10 (daily)
    A        Gold     Shanghai   0 / 1000        15 / 1100            45 / 1200      55 / 1210
    B        Gold     Shanghai  20 / 2000         0 / 1500             0 / 1400
    C        Classic  Beijing   40 / 3000        50 / 3100            80 / 3200      90 / 3250
    D        Classic  Beijing  170 / 5000       180 / 5100 charged off  (gone)
    E        Gold     Beijing    0 /  100         0 /    0 closed       (gone)
    F        Classic  Shanghai   0 /  600        (missing)             0 /  650
    G        Gold     Shanghai  (opens Feb 10)    0 /  700            10 /  750
    H        Classic  Shanghai  10 /  400        (missing)            (missing)

(days past due / balance in yuan). So Jan -> Feb has a roll forward (A), a cure (B), a stay (C),
a write-off (D), a closure (E), an account missing from one month end (F), a new account (G) and
one that disappears (H); Feb -> Mar has the absorbing states (D, E), F coming back, and rolls.
April is unfinished (only a daily file of the delinquent accounts): no month is compared with it.

Payments (Shanghai time): A pays 100 on Jan 15 and that payment is reversed on Feb 2; A pays 50
on Feb 3; B pays 500 on Feb 1 at 03:00 (Jan 31 19:00 UTC: a February payment in the bank's zone);
D, already written off, pays 300 on Mar 12 (a recovery); G pays 20 on Mar 5.
"""

# ruff: noqa: E501  (CSV rows are kept whole, as a reader checks them)

from __future__ import annotations

ACCOUNTS_HEADER = (
    "account_id,customer_id,national_id,customer_name,card_no,mobile,product,branch,"
    "open_date,credit_limit,credit_score,employment_type\n"
)

SNAPSHOTS_HEADER = "as_of_date,account_id,balance,days_past_due,status\n"

SMALL_BANK: dict[str, str] = {
    "accounts_20240131.csv": ACCOUNTS_HEADER
    + "A,CA,110105199001011234,张伟,6225880212345678,13812345678,Gold,Shanghai,2023-01-10,20000,700,salaried\n"
    "B,CB,110105199001011235,李娜,6225880212345679,13812345679,Gold,Shanghai,2022-05-01,20000,720,salaried\n"
    "C,CC,110105199001011236,王强,6225880212345680,13812345680,Classic,Beijing,2023-01-20,10000,600,self_employed\n"
    "D,CD,110105199001011237,刘洋,6225880212345681,13812345681,Classic,Beijing,2021-07-01,5000,520,unemployed\n"
    "E,CE,110105199001011238,陈静,6225880212345682,13812345682,Gold,Beijing,2020-03-03,30000,780,retired\n"
    "F,CF,110105199001011239,杨帆,6225880212345683,13812345683,Classic,Shanghai,2023-06-15,8000,680,salaried\n"
    "H,CH,110105199001011240,赵敏,6225880212345684,13812345684,Classic,Shanghai,2022-11-11,3000,610,student\n",
    "accounts_20240229.csv": ACCOUNTS_HEADER
    + "G,CG,110105199001011241,周杰,6225880212345685,13812345685,Gold,Shanghai,2024-02-10,15000,690,salaried\n",
    "snapshots_20240131.csv": SNAPSHOTS_HEADER + "2024-01-31,A,1000.00,0,open\n"
    "2024-01-31,B,2000.00,20,open\n"
    "2024-01-31,C,3000.00,40,open\n"
    "2024-01-31,D,5000.00,170,frozen\n"
    "2024-01-31,E,100.00,0,open\n"
    "2024-01-31,F,600.00,0,open\n"
    "2024-01-31,H,400.00,10,open\n",
    "snapshots_20240229.csv": SNAPSHOTS_HEADER + "2024-02-29,A,1100.00,15,open\n"
    "2024-02-29,B,1500.00,0,open\n"
    "2024-02-29,C,3100.00,50,open\n"
    "2024-02-29,D,5100.00,180,charged_off\n"
    "2024-02-29,E,0.00,0,closed\n"
    "2024-02-29,G,700.00,0,open\n",
    "snapshots_20240331.csv": SNAPSHOTS_HEADER + "2024-03-31,A,1200.00,45,open\n"
    "2024-03-31,B,1400.00,0,open\n"
    "2024-03-31,C,3200.00,80,open\n"
    "2024-03-31,F,650.00,0,open\n"
    "2024-03-31,G,750.00,10,open\n",
    "snapshots_20240410.csv": SNAPSHOTS_HEADER + "2024-04-10,A,1210.00,55,open\n"
    "2024-04-10,C,3250.00,90,frozen\n",
    "payments_20240115.csv": "payment_id,account_id,paid_at,amount,channel\n"
    "P1,A,2024-01-15 10:00:00,100.00,app\n",
    "payments_20240201.csv": "payment_id,account_id,paid_at,amount,channel\n"
    "P3,B,2024-02-01 03:00:00,500.00,app\n",
    "payments_20240202.csv": "payment_id,account_id,paid_at,amount,channel,is_reversal,reverses_payment_id\n"
    "R1,A,2024-02-02 09:00:00,100.00,app,true,P1\n",
    "payments_20240203.csv": "payment_id,account_id,paid_at,amount,channel\n"
    "P2,A,2024-02-03 12:00:00,50.00,app\n",
    "payments_20240305.csv": "payment_id,account_id,paid_at,amount,channel\n"
    "P5,G,2024-03-05 12:00:00,20.00,app\n",
    "payments_20240312.csv": "payment_id,account_id,paid_at,amount,channel\n"
    "P4,D,2024-03-12 15:00:00,300.00,agency\n",
}
