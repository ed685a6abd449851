#!/usr/bin/env bash
# Out-of-domain probe of the shipped speech model: one neutral customer-service sentence synthesised by espeak-ng
# (a formant synthesiser: flat prosody, no emotion asked for) in 12 languages, as 16 kHz WAV and through the
# telephone band (300-3400 Hz, 8 kHz mu-law), analysed by ./emostream; prints the audio label per segment and the
# counts. No label is claimed for these clips: the probe shows what the model does on speech unlike its training
# data (other languages, a synthetic voice), not an accuracy. Needs espeak-ng and ffmpeg (apt-get install).
#   bash training/audio/tts_probe.sh [OUT_DIR]        (from the project root; EMOSTREAM_* ports as for analyze)
set -euo pipefail
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
declare -A text=(
  [en-us]="I have been waiting for my order for two weeks and nobody has called me back about the refund."
  [de]="Ich warte seit zwei Wochen auf meine Bestellung und niemand hat mich wegen der Rückerstattung zurückgerufen."
  [fr]="J'attends ma commande depuis deux semaines et personne ne m'a rappelé au sujet du remboursement."
  [es]="Llevo dos semanas esperando mi pedido y nadie me ha devuelto la llamada sobre el reembolso."
  [it]="Aspetto il mio ordine da due settimane e nessuno mi ha richiamato per il rimborso."
  [pt]="Estou esperando meu pedido há duas semanas e ninguém me ligou de volta sobre o reembolso."
  [ru]="Я жду свой заказ уже две недели, и никто не перезвонил мне по поводу возврата денег."
  [zh]="我已经等了两个星期的订单，没有人给我回电话说退款的事。"
  [hi]="मैं दो सप्ताह से अपने ऑर्डर का इंतजार कर रहा हूं और किसी ने भी रिफंड के बारे में मुझे वापस फोन नहीं किया।"
  [ar]="أنا أنتظر طلبي منذ أسبوعين ولم يتصل بي أحد بخصوص استرداد المبلغ."
  [tr]="İki haftadır siparişimi bekliyorum ve kimse geri ödeme hakkında beni geri aramadı."
  [pl]="Czekam na zamówienie od dwóch tygodni i nikt do mnie nie oddzwonił w sprawie zwrotu pieniędzy."
)
for lang in "${!text[@]}"; do
  espeak-ng -v "$lang" -s 150 -w "$out/raw-$lang.wav" "${text[$lang]}"
  ffmpeg -loglevel error -y -i "$out/raw-$lang.wav" -ar 16000 -ac 1 "$out/wide-$lang.wav"
  ffmpeg -loglevel error -y -i "$out/raw-$lang.wav" -af "highpass=f=300,lowpass=f=3400" -ar 8000 -ac 1 \
    -c:a pcm_mulaw "$out/tel-$lang.wav"
  rm "$out/raw-$lang.wav"
done
./emostream analyze --json "$out" > "$out/fused.jsonl"
python3 - "$out/fused.jsonl" <<'PY'
import collections, json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
by_file = collections.defaultdict(list)
for r in rows:
    by_file[r["sourceName"]].append(r)
labels, statuses = collections.Counter(), collections.Counter()
for name in sorted(by_file):
    segments = sorted(by_file[name], key=lambda r: r["segmentIndex"])
    audio = [next((p for p in r["predictions"] if p["modality"] == "AUDIO"), None) for r in segments]
    print(f"{name:16s}", "  ".join(f"{p['label']} {p['confidence']:.2f}" if p and p["label"] else
                                   (p["status"] if p else "-") for p in audio))
    for p in audio:
        statuses[p["status"] if p else "missing"] += 1
        if p and p["label"]:
            labels[p["label"]] += 1
print("audio status:", dict(statuses))
print("audio label:", dict(labels.most_common()))
PY
